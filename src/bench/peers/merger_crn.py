#!/usr/bin/python3
# The numpy crn peer of the merger benchmark (src/bench/analyze.ts): the same maths as fluctus's
# default method, written the way a capable numpy user would. Fashion-MNIST train from the Debian IDX
# files (pixels / 127.5 - 1, then float32); one noise draw eps per row (common random numbers), so every
# step's per-event covariance is C(i) = abar A + (1 - abar) B + sqrt(abar (1 - abar)) (X + X^T) with
# A = cov(x0), B = cov(eps), X = cov(x0, eps) from one float32 co-moment [x0 | eps]^T [x0 | eps] per event
# (population, own mean). Events: the 10 classes, all data, a noise event z ~ N(0, I) of N rows with its
# own eps, and each class's rest (n_k rows drawn from the other classes in proportion, the first rows of
# each, largest remainder: src/analysis/fluctuations.ts restRows). Pairs: all data vs noise, the 45 class
# pairs, each class vs its rest. eps = max over the classes and all data of lambda_max(C(0)) / 400.
# d(i) = max_j |lambda_j(C_1(i)) - lambda_j(C_2(i))| from LAPACK eigvalsh (float64), cached per (event,
# step); the merger step per pair by a coarse grid (every `stride` steps) and bisection inside the first
# bracket where d drops to eps (assuming d monotone there, as such a script would).
# Events with fewer rows n than dimensions D take their spectra from the n x n Gram matrix of the
# centred noised rows, G(i) = abar Gx + (1 - abar) Ge + sqrt(abar (1 - abar)) (Gxe + Gxe^T), whose
# eigenvalues are C(i)'s nonzero ones (the rest are 0), as a numpy user who knows the trick would.
#   /usr/bin/python3 merger_crn.py '{"seed": 0}'   (or the JSON on stdin)
# Optional config keys: T, betaStart, betaEnd, epsRatio, noiseSamples, stride, dir (the IDX folder),
# x and labels (.npy files: (N, D) float32 rows and (N,) integer labels 0..K-1, in place of the IDX).
# Prints one JSON object: seconds per phase, eigensolves, eps, per-event lambda_max(C(0)), merger steps,
# peak resident memory (ru_maxrss).
import gzip
import json
import os
import resource
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


def rest_rows(labels, counts):
    """Rows standing for "the rest" of each class: n_k rows from the other classes in proportion."""
    K = len(counts)
    N = len(labels)
    by_class = [np.flatnonzero(labels == k) for k in range(K)]
    rests = []
    for k in range(K):
        others = N - counts[k]
        want = min(counts[k], others)
        share = [0.0 if j == k else want * counts[j] / others for j in range(K)]
        take = [int(np.floor(s)) for s in share]
        left = want - sum(take)
        order = sorted(range(K), key=lambda j: (-(share[j] - np.floor(share[j])), j))
        for j in order:
            if left == 0:
                break
            if j != k and take[j] < counts[j]:
                take[j] += 1
                left -= 1
        rests.append(np.concatenate([by_class[j][:take[j]] for j in range(K)]))
    return rests


def main():
    text = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()
    cfg = json.loads(text)
    seed = int(cfg.get('seed', 0))
    T = int(cfg.get('T', 1000))
    ratio = float(cfg.get('epsRatio', 400))
    stride = int(cfg.get('stride', 50))
    folder = cfg.get('dir', '/usr/share/datasets/fashion-mnist')

    t0 = time.perf_counter()
    if 'x' in cfg:
        x0 = np.ascontiguousarray(np.load(cfg['x']), dtype=np.float32)
        labels = np.load(cfg['labels']).astype(np.int64)
        N, D = x0.shape
        if labels.shape != (N,):
            raise SystemExit(f"{cfg['labels']}: shape {labels.shape}, expected ({N},) for {cfg['x']}")
    else:
        images = read_idx(os.path.join(folder, 'train-images-idx3-ubyte.gz'), 3)
        labels = read_idx(os.path.join(folder, 'train-labels-idx1-ubyte.gz'), 1).astype(np.int64)
        N = images.shape[0]
        D = images.shape[1] * images.shape[2]
        x0 = (images.reshape(N, D).astype(np.float64) / 127.5 - 1).astype(np.float32)
    K = int(labels.max()) + 1
    counts = [int(np.sum(labels == k)) for k in range(K)]
    load_s = time.perf_counter() - t0

    betas = np.linspace(float(cfg.get('betaStart', 1e-4)), float(cfg.get('betaEnd', 0.02)), T, dtype=np.float64)
    abar = np.concatenate([[1.0], np.cumprod(1.0 - betas)])

    t1 = time.perf_counter()
    rng = np.random.default_rng(seed)
    n_noise = int(cfg.get('noiseSamples', N))
    eps_x = rng.standard_normal((N, D), dtype=np.float32)
    z = rng.standard_normal((n_noise, 2 * D), dtype=np.float32)
    noise_s = time.perf_counter() - t1

    t2 = time.perf_counter()

    def basis(rows):
        n = rows.shape[0]
        c = rows - rows.mean(axis=0)
        if n < D:
            # Gram: the n x n blocks of the centred [x | eps] rows.
            x, e = c[:, :D], c[:, D:]
            gx, ge, gxe = (x @ x.T).astype(np.float64), (e @ e.T).astype(np.float64), (x @ e.T).astype(np.float64)
            return gx / n, ge / n, (gxe + gxe.T) / n
        m = (c.T @ c).astype(np.float64) / n
        return m[:D, :D], m[D:, D:], m[:D, D:] + m[D:, :D]

    xe = np.concatenate([x0, eps_x], axis=1)
    names = [f'class {k}' for k in range(K)] + ['all data', 'noise N(0, I)'] + [f'not class {k}' for k in range(K)]
    bases = [basis(xe[labels == k]) for k in range(K)] + [basis(xe), basis(z)] + [basis(xe[r]) for r in rest_rows(labels, counts)]
    moments_s = time.perf_counter() - t2

    cache = {}
    eig_s = [0.0]

    def spectrum(e, i):
        key = (e, i)
        if key not in cache:
            a = abar[i]
            A, B, S = bases[e]
            t = time.perf_counter()
            lam = np.linalg.eigvalsh(a * A + (1 - a) * B + np.sqrt(a * (1 - a)) * S)[::-1]
            cache[key] = lam if len(lam) == D else np.concatenate([lam, np.zeros(D - len(lam))])
            eig_s[0] += time.perf_counter() - t
        return cache[key]

    def d(p, q, i):
        return float(np.max(np.abs(spectrum(p, i) - spectrum(q, i))))

    t3 = time.perf_counter()
    lam0 = [float(spectrum(e, 0)[0]) for e in range(len(bases))]
    eps = max(lam0[:K + 1]) / ratio
    pairs = [(K, K + 1)] + [(a, b) for a in range(K) for b in range(a + 1, K)] + [(k, K + 2 + k) for k in range(K)]
    grid = list(range(0, T + 1, stride))
    if grid[-1] != T:
        grid.append(T)
    merger = {}
    for p, q in pairs:
        first = next((j for j, i in enumerate(grid) if d(p, q, i) <= eps), None)
        if first is None:
            merger[(p, q)] = None
            continue
        if first == 0:
            merger[(p, q)] = 0
            continue
        lo, hi = grid[first - 1], grid[first]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if d(p, q, mid) <= eps:
                hi = mid
            else:
                lo = mid
        merger[(p, q)] = hi
    search_s = time.perf_counter() - t3

    blas = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() and '/' in l})
    print(json.dumps({
        'peer': 'numpy crn (merger_crn.py)',
        'numpy': np.__version__, 'blas': blas, 'cpus': os.cpu_count(),
        'config': {'seed': seed, 'T': T, 'epsRatio': ratio, 'stride': stride, 'N': N, 'D': D, 'noiseSamples': n_noise},
        'seconds': {'load': load_s, 'noise': noise_s, 'moments': moments_s, 'eigvalsh': eig_s[0], 'search': search_s,
                    'total': noise_s + moments_s + search_s},
        'eigensolves': len(cache),
        'gramEvents': [names[e] for e in range(len(bases)) if bases[e][0].shape[0] < D],
        'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        'events': names, 'lambdaMax0': lam0, 'eps': eps,
        'pairs': [{'a': names[p], 'b': names[q], 'mergerStep': merger[(p, q)]} for p, q in pairs],
    }))


if __name__ == '__main__':
    main()
