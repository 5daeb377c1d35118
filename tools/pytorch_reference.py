#!/usr/bin/env python3
"""PyTorch's figures for the models Latent Lab trains, on this machine: the reference "Speed II"
compares against.

Same models (MLP-VAE z=20 h=400; Conv-VAE z=16 c=32 with 4×4 stride-2 convolutions), the same
8,000/2,000 split of assets/digits.bin, batch 128, Adam 1e-3, summed BCE-with-logits + KL.
Prints one JSON object: training samples/s on 1 and 2 threads, the reference run's wall time
(10 epochs with a test −ELBO after each, as the page runs it), and decode latency for 1, 100 and
225 latents of an MLP-VAE z=16. A measuring tool: not part of the tests, never fails on a time.

Usage (PyTorch from PyPI; the wheel pulls ~5 GB of CUDA libraries even for CPU use):
    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch numpy
    /tmp/torch/bin/python tools/pytorch_reference.py            # everything, ~3 minutes
    /tmp/torch/bin/python tools/pytorch_reference.py --decode   # the decoding figures only, ~15 s
"""

import json
import os
import platform
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def digits():
    """The digits asset as float images in [0, 1] and the every-fifth test split."""
    data = open(os.path.join(ROOT, "assets", "digits.bin"), "rb").read()
    assert data[:8] == b"LLDIGITS", "assets/digits.bin: run tools/setup.sh first"
    _version, count, rows, cols = struct.unpack("<4I", data[8:24])
    images = np.frombuffer(data, np.uint8, count * rows * cols, 24 + count)
    x = torch.from_numpy(images.reshape(count, rows * cols).astype(np.float32) / 255.0)
    test = torch.arange(count) % 5 == 0
    return x[~test], x[test]


class MlpVae(nn.Module):
    def __init__(self, latent, hidden):
        super().__init__()
        self.enc = nn.Linear(784, hidden)
        self.mean = nn.Linear(hidden, latent)
        self.log_var = nn.Linear(hidden, latent)
        self.dec1 = nn.Linear(latent, hidden)
        self.dec2 = nn.Linear(hidden, 784)

    def encode(self, x):
        h = F.relu(self.enc(x))
        return self.mean(h), self.log_var(h)

    def decode(self, z):
        return self.dec2(F.relu(self.dec1(z)))


class ConvVae(nn.Module):
    def __init__(self, latent, c):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c, 4, 2, 1)
        self.conv2 = nn.Conv2d(c, 2 * c, 4, 2, 1)
        self.mean = nn.Linear(2 * c * 49, latent)
        self.log_var = nn.Linear(2 * c * 49, latent)
        self.project = nn.Linear(latent, 2 * c * 49)
        self.deconv1 = nn.ConvTranspose2d(2 * c, c, 4, 2, 1)
        self.deconv2 = nn.ConvTranspose2d(c, 1, 4, 2, 1)
        self.c = c

    def encode(self, x):
        h = F.relu(self.conv1(x.view(-1, 1, 28, 28)))
        h = F.relu(self.conv2(h)).flatten(1)
        return self.mean(h), self.log_var(h)

    def decode(self, z):
        h = F.relu(self.project(z)).view(-1, 2 * self.c, 7, 7)
        return self.deconv2(F.relu(self.deconv1(h))).flatten(1)


def loss(model, x):
    mean, log_var = model.encode(x)
    z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
    recon = F.binary_cross_entropy_with_logits(model.decode(z), x, reduction="sum")
    kl = -0.5 * torch.sum(1 + log_var - mean.pow(2) - log_var.exp())
    return (recon + kl) / x.shape[0]


def samples_per_sec(make, train, seconds=6.0, batch=128):
    torch.manual_seed(0)
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(train))
    done, step, t0 = 0, 0, None
    while True:
        if step == 20:  # past the first steps' allocation and warm-up
            t0, done = time.perf_counter(), 0
        i = (step * batch) % (len(train) - batch)
        x = train[order[i : i + batch]]
        opt.zero_grad()
        loss(model, x).backward()
        opt.step()
        done += batch
        step += 1
        if t0 is not None and time.perf_counter() - t0 > seconds:
            return done / (time.perf_counter() - t0)


def reference_run(train, test, epochs=10, batch=128):
    """The page's reference run: 10 epochs of the MLP-VAE z=20, the test −ELBO after each."""
    torch.manual_seed(0)
    model = MlpVae(20, 400)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    scores = []
    for _ in range(epochs):
        order = torch.randperm(len(train))
        for i in range(0, len(train), batch):
            x = train[order[i : i + batch]]
            opt.zero_grad()
            loss(model, x).backward()
            opt.step()
        with torch.no_grad():
            scores.append(sum(loss(model, test[i : i + 500]).item() * len(test[i : i + 500]) for i in range(0, len(test), 500)) / len(test))
    return time.perf_counter() - t0, scores


def decode_ms(n, repeats=2000):
    torch.manual_seed(0)
    model = MlpVae(16, 400).eval()
    z = torch.randn(n, 16)
    times = []
    with torch.no_grad():
        for k in range(repeats + 100):
            t0 = time.perf_counter()
            torch.sigmoid(model.decode(z))
            if k >= 100:
                times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


DECODE_SIZES = (1, 100, 225)


def decode_figures():
    """Decoding 1, 100 and 225 codes (one code, the 10×10 and the 15×15 grid's worth)."""
    return {f"decode_mlp_vae_z16_{n}_ms": round(decode_ms(n), 4) for n in DECODE_SIZES}


def decode_only():
    """Only the decoding figures (~15 s with torch's import): to take beside
    `www/bench/page.mjs`, turn by turn, when the machine's speed drifts within a sitting."""
    result = {"cpu": cpu_model(), "torch": torch.__version__, "threads": {}}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        result["threads"][threads] = decode_figures()
    print(json.dumps(result, indent=1))


def main():
    if "--decode" in sys.argv[1:]:
        return decode_only()
    train, test = digits()
    result = {"cpu": cpu_model(), "torch": torch.__version__, "threads": {}}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        seconds, scores = reference_run(train, test)
        result["threads"][threads] = {
            "mlp_vae_z20_h400_b128_samples_per_sec": round(samples_per_sec(lambda: MlpVae(20, 400), train)),
            "conv_vae_z16_c32_b128_samples_per_sec": round(samples_per_sec(lambda: ConvVae(16, 32), train)),
            "reference_run_seconds": round(seconds, 2),
            "reference_run_test_neg_elbo_1_5_10": [round(scores[i], 1) for i in (0, 4, 9)],
            **decode_figures(),
        }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
