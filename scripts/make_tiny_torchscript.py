#!/usr/bin/python3
"""Writes a tiny TorchScript conv backbone for the tests: (N,1,64,64) image -> (N,32,8,8) feature map.

Three conv3x3/2 + BatchNorm + ReLU stages, about 6k parameters, under 100 KB on disk. It stands in for a real
pretrained backbone in tests of `--weights FILE.pt` (wrapping, fine-tuning, Grad-CAM).

The module is scripted, not traced: a traced BatchNorm keeps the train/eval mode it was traced in, while a scripted
one follows module.train()/eval(), which DJL switches between training and inference.

  /usr/bin/python3 scripts/make_tiny_torchscript.py [OUT]     (default src/test/resources/tiny_backbone.pt)
Needs Debian's python3-torch (apt-get install -y python3-torch).
"""
import sys

import torch
from torch import nn


class TinyBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        layers = []
        cin = 1
        for cout in (8, 16, 32):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
            cin = cout
        self.features = nn.Sequential(*layers)

    def forward(self, x):
        return self.features(x)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/tiny_backbone.pt"
    torch.manual_seed(1234)
    net = TinyBackbone().eval()
    scripted = torch.jit.script(net)
    y = scripted(torch.zeros(1, 1, 64, 64))
    assert tuple(y.shape) == (1, 32, 8, 8), y.shape
    scripted.save(out)
    n = sum(p.numel() for p in net.parameters())
    print(f"wrote {out}: {n} parameters, output {tuple(y.shape)} for a 1x1x64x64 input")


if __name__ == "__main__":
    main()
