#!/usr/bin/python3
# The numpy peer of the empirical-denoiser benchmark (src/bench/empirical.ts): the empirical optimal
# denoiser (DESIGN.md §3) written the straightforward way a numpy user would, in float32 with OpenBLAS
# GEMMs: logits (sqrt(abar) x . y_j - abar ||y_j||^2 / 2) / (1 - abar) (||x||^2 cancels in the softmax;
# ||y_j||^2 precomputed once, float64 then float32, as the engine does), max-shifted softmax over all M
# training rows at once (the (N, M) score matrix fits in memory here), x0_hat = W Y,
# eps_hat = (x - sqrt(abar) x0_hat) / sqrt(1 - abar).
#   /usr/bin/python3 empirical.py DIR '{"M": 60000, "D": 784, "N": 256, "abar": 0.66, "reps": 3}'
# DIR holds y.f32 (M, D) and x.f32 (N, D); writes eps.f32 (N, D) there and prints one JSON object:
# milliseconds per evaluation of the whole batch (each rep), the BLAS library numpy loaded.
import json
import sys
import time

import numpy as np


def main():
    folder = sys.argv[1]
    cfg = json.loads(sys.argv[2])
    M, D, N, reps = int(cfg['M']), int(cfg['D']), int(cfg['N']), int(cfg.get('reps', 3))
    abar = float(cfg['abar'])
    y = np.fromfile(folder + '/y.f32', dtype=np.float32).reshape(M, D)
    x = np.fromfile(folder + '/x.f32', dtype=np.float32).reshape(N, D)
    yy = (y.astype(np.float64) ** 2).sum(1).astype(np.float32)
    a = np.float32(np.sqrt(abar))
    s2 = np.float32(1 - abar)
    coef_dot = np.float32(np.sqrt(abar) / (1 - abar))
    coef_sq = np.float32(abar / (2 * (1 - abar)))

    def denoise():
        logits = coef_dot * (x @ y.T) - coef_sq * yy
        logits -= logits.max(axis=1, keepdims=True)
        w = np.exp(logits)
        w /= w.sum(axis=1, keepdims=True)
        x0 = w @ y
        return (x - a * x0) / np.sqrt(s2)

    eps = denoise()
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        eps = denoise()
        ms.append((time.perf_counter() - t0) * 1e3)
    eps.astype(np.float32).tofile(folder + '/eps.f32')
    blas = sorted({line.split()[-1] for line in open('/proc/self/maps') if 'blas' in line.lower() and '/' in line})
    print(json.dumps({'ms': ms, 'blas': blas}))


if __name__ == '__main__':
    main()
