#!/usr/bin/python3
"""Exports a torchvision ResNet as TorchScript for `pneumoscope ... --weights FILE.pt`.

Pneumoscope imports the weights by torchvision's names (conv1.weight, layer1.0.bn1.weight, ...) into its own
ResNet. TorchScript only lists a module's *parameters*, so the BatchNorm running statistics (buffers) are turned
into non-trainable parameters here; that way they travel with the file and no re-estimation is needed.

Typical offline route for ImageNet weights: on any machine with torchvision and its weights cache,
  /usr/bin/python3 scripts/export_torchvision_resnet.py --arch resnet50 --pretrained --out resnet50-imagenet.pt
then copy the file to the hospital machine and pass --weights resnet50-imagenet.pt.

Test mode (--reference DIR) writes a randomly initialised model with randomised BatchNorm statistics, an input
and torchvision's own logits for it (raw little-endian float32), so the Java side can check that its ResNet
computes exactly what torchvision computes.
"""
import argparse
import os

import torch
import torchvision
from torch import nn


def build(arch, pretrained):
    ctor = getattr(torchvision.models, arch)
    if not pretrained:
        return ctor()
    try:
        return ctor(weights="IMAGENET1K_V1")
    except TypeError:  # torchvision < 0.13
        return ctor(pretrained=True)


def stats_as_parameters(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            for name in ("running_mean", "running_var"):
                value = getattr(m, name).detach().clone()
                del m._buffers[name]
                m.register_parameter(name, nn.Parameter(value, requires_grad=False))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="resnet50", choices=["resnet18", "resnet34", "resnet50"])
    p.add_argument("--pretrained", action="store_true", help="torchvision's ImageNet weights (downloads once)")
    p.add_argument("--out", required=True)
    p.add_argument("--reference", help="folder for input.f32 / logits.f32 (test mode: random weights and BN stats)")
    p.add_argument("--size", type=int, default=64, help="reference input size")
    a = p.parse_args()

    torch.manual_seed(2024)
    model = build(a.arch, a.pretrained)
    if a.reference:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
                    m.running_mean.uniform_(-0.2, 0.2)
                    m.running_var.uniform_(0.5, 2.0)
    model.eval()
    stats_as_parameters(model)
    example = torch.randn(2, 3, a.size, a.size)
    traced = torch.jit.trace(model, example)
    traced.save(a.out)
    if a.reference:
        os.makedirs(a.reference, exist_ok=True)
        with torch.no_grad():
            logits = model(example)
        example.numpy().astype("<f4").tofile(os.path.join(a.reference, "input.f32"))
        logits.numpy().astype("<f4").tofile(os.path.join(a.reference, "logits.f32"))
    print(f"wrote {a.out} ({a.arch}, {'ImageNet' if a.pretrained else 'random'} weights)")


if __name__ == "__main__":
    main()
