#!/usr/bin/python3
# The numpy peer of the merger benchmark (src/bench/analyze.ts): the paper's Monte-Carlo sweep
# (Ramachandran, Lal & Sra 2025, arXiv 2511.00124) written the straightforward way. Fashion-MNIST
# train from the Debian IDX files, pixels / 127.5 - 1 (as src/data/dataset.ts PIXEL_SCALE, then f32);
# events = the 10 classes, all data and a fixed N(0, I) sample z of N rows; at each requested step i
# every row (data and z) is noised with fresh eps: x_i = sqrt(abar_i) x_0 + sqrt(1 - abar_i) eps;
# per-event population covariance (own mean, divided by n; float32 GEMM as a numpy user writes it,
# then float64), eigvalsh of each (LAPACK, float64); pairs all-data vs noise and the 45 class pairs:
# d(i) = max_j |lambda_j(C_1) - lambda_j(C_2)| (rank-paired), M(i) = |<C1,C2>_F| / (||C1|| ||C2||);
# eps = max_k lambda_max(C_k(0)) / 400; merger step = first requested step with d <= eps.
# Schedule: DDPM linear, beta 1e-4..0.02 (np.linspace), T = 1000, abar = float64 cumprod.
#   /usr/bin/python3 merger_mc.py '{"steps": [0, 250, 500, 750, 1000], "seed": 0}'   (or the JSON on stdin)
# Optional config keys: T, betaStart, betaEnd, epsRatio, noiseSamples, dir (the IDX folder).
# Prints one JSON object: seconds per phase (noise, covariances, eigvalsh, pairs), per step, total,
# eps, per-event lambda_max(C(0)), merger steps and d, M per pair and step.
import gzip
import json
import os
import sys
import time

import numpy as np


def read_idx(path, ndim):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], 'big')
    if magic != 0x0800 + ndim:
        raise SystemExit(f'{path}: IDX magic {magic:#x}, expected unsigned bytes with {ndim} dims')
    dims = [int.from_bytes(raw[4 + 4 * k:8 + 4 * k], 'big') for k in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    text = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()
    cfg = json.loads(text)
    steps = sorted({int(s) for s in cfg['steps']})
    seed = int(cfg.get('seed', 0))
    T = int(cfg.get('T', 1000))
    ratio = float(cfg.get('epsRatio', 400))
    folder = cfg.get('dir', '/usr/share/datasets/fashion-mnist')
    if steps[0] < 0 or steps[-1] > T:
        raise SystemExit(f'steps must lie in 0..{T}, got {steps[0]}..{steps[-1]}')
    # eps needs C(0): step 0 is always measured (and reported) even when not requested.
    if steps[0] != 0:
        steps = [0] + steps

    t0 = time.perf_counter()
    images = read_idx(os.path.join(folder, 'train-images-idx3-ubyte.gz'), 3)
    labels = read_idx(os.path.join(folder, 'train-labels-idx1-ubyte.gz'), 1).astype(np.int64)
    N = images.shape[0]
    D = images.shape[1] * images.shape[2]
    x0 = (images.reshape(N, D).astype(np.float64) / 127.5 - 1).astype(np.float32)
    # Rows sorted by class once, so each class is a contiguous slice (covariances do not depend on order).
    order = np.argsort(labels, kind='stable')
    x0 = np.ascontiguousarray(x0[order])
    labels = labels[order]
    K = int(labels.max()) + 1
    bounds = np.searchsorted(labels, np.arange(K + 1))
    load_s = time.perf_counter() - t0

    betas = np.linspace(float(cfg.get('betaStart', 1e-4)), float(cfg.get('betaEnd', 0.02)), T, dtype=np.float64)
    abar = np.concatenate([[1.0], np.cumprod(1.0 - betas)])  # abar[i], abar[0] = 1

    t1 = time.perf_counter()
    rng = np.random.default_rng(seed)
    n_noise = int(cfg.get('noiseSamples', N))
    z = rng.standard_normal((n_noise, D), dtype=np.float32)

    events = [f'class {k}' for k in range(K)] + ['all data', 'noise N(0, I)']
    pairs = [('all data', 'noise N(0, I)')] + [(f'class {a}', f'class {b}') for a in range(K) for b in range(a + 1, K)]
    index = {e: q for q, e in enumerate(events)}

    def cov(rows):
        c = rows - rows.mean(axis=0)
        return (c.T @ c) / np.float32(rows.shape[0])

    phase = {'noise': 0.0, 'covariances': 0.0, 'eigvalsh': 0.0, 'pairs': 0.0}
    per_step = []
    d = {f'{a}|{b}': [] for a, b in pairs}
    M = {f'{a}|{b}': [] for a, b in pairs}
    lam_max0 = None
    # Noise buffers, touched once here so that page faults land in setup, not in the first step.
    eps_x = np.full_like(x0, 0.0)
    eps_z = np.full_like(z, 0.0)
    tmp = np.full((max(N, n_noise), D), 0.0, dtype=np.float32)
    setup_s = time.perf_counter() - t1  # z and the buffers
    for i in steps:
        ts = time.perf_counter()
        if i == 0:
            xi, zi = x0, z
        else:
            sa, sb = np.float32(np.sqrt(abar[i])), np.float32(np.sqrt(1.0 - abar[i]))
            # In place into preallocated buffers: xi = sa x0 + sb eps (no fresh 190 MB arrays per step).
            xi, zi = eps_x, eps_z
            for src, buf in ((x0, eps_x), (z, eps_z)):
                rng.standard_normal(dtype=np.float32, out=buf)
                buf *= sb
                np.multiply(src, sa, out=tmp[:src.shape[0]])
                buf += tmp[:src.shape[0]]
        tn = time.perf_counter()
        covs = [cov(xi[bounds[k]:bounds[k + 1]]).astype(np.float64) for k in range(K)] + [cov(xi).astype(np.float64), cov(zi).astype(np.float64)]
        tc = time.perf_counter()
        spectra = [np.linalg.eigvalsh(c)[::-1] for c in covs]
        te = time.perf_counter()
        if i == 0:
            lam_max0 = [float(s[0]) for s in spectra]
        norms = [np.linalg.norm(c) for c in covs]
        for a, b in pairs:
            p, q = index[a], index[b]
            d[f'{a}|{b}'].append(float(np.max(np.abs(spectra[p] - spectra[q]))))
            M[f'{a}|{b}'].append(float(abs(np.vdot(covs[p], covs[q])) / (norms[p] * norms[q])))
        tp = time.perf_counter()
        phase['noise'] += tn - ts
        phase['covariances'] += tc - tn
        phase['eigvalsh'] += te - tc
        phase['pairs'] += tp - te
        per_step.append({'step': i, 'noise': tn - ts, 'covariances': tc - tn, 'eigvalsh': te - tc, 'pairs': tp - te, 'total': tp - ts})

    eps = max(lam_max0) / ratio
    merger = {}
    for key, dq in d.items():
        hit = [s for s, v in zip(steps, dq) if v <= eps]
        merger[key] = hit[0] if hit else None

    blas = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() and '/' in l})
    print(json.dumps({
        'peer': 'numpy Monte-Carlo sweep (merger_mc.py)',
        'numpy': np.__version__, 'blas': blas, 'cpus': os.cpu_count(),
        'config': {'steps': steps, 'seed': seed, 'T': T, 'epsRatio': ratio, 'N': N, 'D': D, 'noiseSamples': n_noise},
        'seconds': {'load': load_s, 'setup': setup_s, **phase, 'total': setup_s + sum(phase.values())},
        'perStep': per_step,
        'events': events, 'lambdaMax0': lam_max0, 'eps': eps,
        'pairs': [{'a': a, 'b': b, 'mergerStep': merger[f'{a}|{b}'], 'd': d[f'{a}|{b}'], 'M': M[f'{a}|{b}']} for a, b in pairs],
    }))


if __name__ == '__main__':
    main()
