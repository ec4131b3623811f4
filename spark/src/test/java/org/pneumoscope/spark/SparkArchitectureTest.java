package org.pneumoscope.spark;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The Spark module's floors (docs/architecture.md): the job is a front door, through the Java API and the pipeline;
 * only its command line ({@code spark.cli}) uses the program's command line.
 */
class SparkArchitectureTest {
    static final JavaClasses CLASSES = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.pneumoscope.spark");

    @Test
    void theJobGoesThroughTheApi() {
        noClasses().that().resideInAPackage("org.pneumoscope.spark")
                .should().dependOnClassesThat().resideInAnyPackage("org.pneumoscope.model..", "org.pneumoscope.train..",
                        "org.pneumoscope.augment..", "org.pneumoscope.synth..", "org.pneumoscope.cli..",
                        "org.pneumoscope.spark.cli..")
                .check(CLASSES);
    }

    @Test
    void theProgramNeverUsesSpark() {
        noClasses().that().resideInAPackage("org.pneumoscope..").and().resideOutsideOfPackage("org.pneumoscope.spark..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "org.pneumoscope.spark..")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("org.pneumoscope"));
    }
}
