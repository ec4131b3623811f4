package org.pneumoscope;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pneumoscope.model.Arch;
import org.pneumoscope.model.Head;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The house's floors, bottom up. A package may use its own floor's package and any floor below, never one above,
 * so each floor can be read (and tested) without the ones above it. Packages on one floor do not use each other
 * unless {@link #SIDEWAYS} allows it.
 */
class ArchitectureTest {
    static final List<List<String>> FLOORS = List.of(
            List.of("core"),
            List.of("data"),
            List.of("augment"),
            List.of("synth"),
            List.of("model"),
            List.of("train", "eval"),
            List.of("explain"),
            List.of("report"),
            List.of("pipeline"),
            List.of("api", "export"),
            List.of("dicom"),
            List.of("serve", "experiment", "bench"),
            List.of("cli"));
    /** Same-floor uses that are allowed: training reports validation metrics; evaluation never trains. */
    static final List<String> SIDEWAYS = List.of("train->eval");

    static JavaClasses classes;

    @BeforeAll
    static void importMain() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.pneumoscope");
    }

    @Test
    void everyPackageHasAFloor() {
        List<String> all = FLOORS.stream().flatMap(List::stream).toList();
        List<String> homeless = classes.stream().map(c -> c.getPackageName())
                .filter(p -> p.startsWith("org.pneumoscope."))
                .map(p -> p.substring("org.pneumoscope.".length()).split("\\.")[0])
                .distinct().filter(p -> !all.contains(p)).toList();
        assertEquals(List.of(), homeless, "packages without a floor in ArchitectureTest.FLOORS");
    }

    @Test
    void importsNeverClimb() {
        for (int f = 0; f < FLOORS.size(); f++) {
            List<String> above = new ArrayList<>();
            for (int g = f + 1; g < FLOORS.size(); g++) above.addAll(FLOORS.get(g));
            if (above.isEmpty()) continue;
            for (String p : FLOORS.get(f)) {
                rule(p, above).check(classes);
            }
        }
    }

    @Test
    void packagesOnOneFloorStayApart() {
        for (List<String> floor : FLOORS) {
            for (String p : floor) {
                List<String> others = floor.stream().filter(q -> !q.equals(p) && !SIDEWAYS.contains(p + "->" + q)).toList();
                if (!others.isEmpty()) rule(p, others).check(classes);
            }
        }
    }

    @Test
    void noPackageCycles() {
        slices().matching("org.pneumoscope.(*)..").should().beFreeOfCycles().check(classes);
    }

    /** The server is a front door: it reaches the engine through the Java API and the pipeline, not past them. */
    @Test
    void theServerGoesThroughTheApi() {
        rule("serve", List.of("model", "train", "augment", "synth")).check(classes);
    }

    /**
     * The command line parses options and prints; the work is done by pipeline jobs, the Java API and the bench
     * harness, so a command never reaches augmentation, phantoms, a network, a metric, Grad-CAM or a renderer itself.
     */
    @Test
    void theCommandLineLeavesTheWorkToTheJobs() {
        rule("cli", List.of("augment", "synth", "model", "eval", "explain", "report")).check(classes);
    }

    /**
     * An experiment composes training and evaluation through pipeline jobs; it never builds a network, draws
     * phantoms or runs Grad-CAM itself. (It still times a few training steps and augmentations for its estimate,
     * and draws its own tables with the report's charts.)
     */
    @Test
    void experimentsGoThroughThePipeline() {
        noClasses().that().resideInAPackage("org.pneumoscope.experiment..")
                .should().dependOnClassesThat(JavaClass.Predicates.resideInAnyPackage("org.pneumoscope.synth..",
                                "org.pneumoscope.model..", "org.pneumoscope.explain..")
                        // the names a config gives its network are words of the config, not the network
                        .and(DescribedPredicate.not(JavaClass.Predicates.belongToAnyOf(Arch.class, Head.class))))
                .because("an experiment composes pipeline jobs").check(classes);
    }

    /** The rule is real: a class of a lower floor that used a higher one would break it. */
    @Test
    void theRuleCatchesAClimbingImport() {
        JavaClasses own = new ClassFileImporter().importClasses(ArchitectureTest.class, Climber.class);
        AssertionError e = null;
        try {
            noClasses().that().haveSimpleName("Climber").should().dependOnClassesThat().haveSimpleName("ArchitectureTest")
                    .check(own);
        } catch (AssertionError x) {
            e = x;
        }
        assertTrue(e != null && e.getMessage().contains("Climber"), "a dependency the rule forbids must fail it");
    }

    static final class Climber {
        int floors() {
            return ArchitectureTest.FLOORS.size();
        }
    }

    private static ArchRule rule(String pkg, List<String> forbidden) {
        String[] targets = forbidden.stream().map(q -> "org.pneumoscope." + q + "..").toArray(String[]::new);
        return noClasses().that().resideInAPackage("org.pneumoscope." + pkg + "..")
                .should().dependOnClassesThat().resideInAnyPackage(targets)
                .because(pkg + " sits below " + Arrays.toString(forbidden.toArray()) + " (or beside them) in the house")
                .allowEmptyShould(true);
    }
}
