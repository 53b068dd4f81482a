"""PyTorch peer (CPU, or CUDA with "device": "cuda" in the config) of src/bench/train.ts: the same MLP / small U-Net eps-predictors (src/models/mlp.ts,
src/models/unet.ts headers), the same training step (uniform steps, x_t from the linear DDPM schedule, class
dropout 0.1, MSE on eps, global-norm clip 1, AdamW, EMA 0.999), timed per optimiser step.
    /usr/bin/python3 train_torch.py '{"model": "mlp", "dim": 64, "classes": 10, "hidden": 256, "blocks": 3,
                                      "timeDim": 64, "batch": 128, "steps": 100, "reps": 3, "threads": 2}'
Prints one JSON object: msPerStep (list, one per rep), losses of the first steps, torch version, threads.
With "mode": "sample", DDPM sampling steps of "batch" images instead (no_grad forward and update): msPerStep
and whether the samples are finite.
Inputs are seeded random data of the real shape: a step's cost does not depend on the values."""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoidal(t, dim):
    half = dim // 2
    f = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = t.float()[:, None] * f[None, :]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


class Mlp(nn.Module):
    def __init__(self, dim, classes, hidden, blocks, time_dim):
        super().__init__()
        self.time_dim = time_dim
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.class_emb = nn.Embedding(classes + 1, hidden)
        self.input = nn.Linear(dim, hidden)
        self.blocks = nn.ModuleList(nn.ModuleDict({"lin1": nn.Linear(hidden, hidden), "lin2": nn.Linear(hidden, hidden)}) for _ in range(blocks))
        self.output = nn.Linear(hidden, dim)

    def forward(self, x, t, c):
        emb = self.time_mlp(sinusoidal(t, self.time_dim)) + self.class_emb(c)
        h = self.input(x) + emb
        for b in self.blocks:
            u = b["lin1"](F.silu(h))
            h = h + b["lin2"](F.silu(u + emb))
        return self.output(F.silu(h))


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x))) + self.emb(e)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class Unet(nn.Module):
    def __init__(self, channels, classes, c0, c1, emb, groups):
        super().__init__()
        self.s = max(2, 2 * round(c0 / 2))
        self.time_mlp = nn.Sequential(nn.Linear(self.s, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.class_emb = nn.Embedding(classes + 1, emb)
        self.conv_in = nn.Conv2d(channels, c0, 3, padding=1)
        self.down0 = ResBlock(c0, c0, emb, groups)
        self.down1 = ResBlock(c0, c1, emb, groups)
        self.mid = ResBlock(c1, c1, emb, groups)
        self.up1 = ResBlock(2 * c1, c1, emb, groups)
        self.up0 = ResBlock(c1 + c0, c0, emb, groups)
        self.out_norm = nn.GroupNorm(groups, c0)
        self.conv_out = nn.Conv2d(c0, channels, 3, padding=1)

    def forward(self, x, t, c):
        e = F.silu(self.time_mlp(sinusoidal(t, self.s)) + self.class_emb(c))
        s0 = self.down0(self.conv_in(x), e)
        s1 = self.down1(F.avg_pool2d(s0, 2), e)
        m = self.mid(F.avg_pool2d(s1, 2), e)
        u1 = self.up1(torch.cat([F.interpolate(m, scale_factor=2, mode="nearest"), s1], 1), e)
        u0 = self.up0(torch.cat([F.interpolate(u1, scale_factor=2, mode="nearest"), s0], 1), e)
        return self.conv_out(F.silu(self.out_norm(u0)))


def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(int(cfg.get("threads", 2)))
    torch.manual_seed(0)
    dev = torch.device(cfg.get("device", "cpu"))
    # fp32 like the engine: no TF32 in matrix products or cuDNN convolutions.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    classes, batch = cfg["classes"], cfg["batch"]
    if cfg["model"] == "mlp":
        model = Mlp(cfg["dim"], classes, cfg["hidden"], cfg["blocks"], cfg["timeDim"])
        shape = (batch, cfg["dim"])
    else:
        h, w, ch = cfg["image"]
        model = Unet(ch, classes, cfg["c0"], cfg["c1"], cfg["embDim"], cfg["groups"])
        shape = (batch, ch, h, w)
    model = model.to(dev)
    ema = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    T = 1000
    abar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, T, dtype=torch.float64), 0).float().to(dev)
    data = torch.randn((4096,) + shape[1:], device=dev)
    labels = torch.randint(0, classes, (4096,), device=dev)

    def step(i):
        idx = torch.randint(0, data.shape[0], (batch,), device=dev)
        x0, c = data[idx], labels[idx].clone()
        c[torch.rand(batch, device=dev) < 0.1] = classes
        t = torch.randint(1, T + 1, (batch,), device=dev)
        a = abar[t - 1].view(-1, *([1] * (len(shape) - 1)))
        eps = torch.randn(shape, device=dev)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        loss = F.mse_loss(model(xt, t, c), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            for e, p in zip(ema, model.parameters()):
                e.mul_(0.999).add_(p, alpha=0.001)
        return loss

    if cfg.get("mode", "train") == "sample":
        return sample(model, cfg, shape, classes, abar, T, dev)
    losses = [float(step(i)) for i in range(3)]
    ms = []
    for _ in range(cfg["reps"]):
        t0 = time.perf_counter()
        for i in range(cfg["steps"]):
            loss = step(i)
        float(loss)
        ms.append(1e3 * (time.perf_counter() - t0) / cfg["steps"])
    print(json.dumps({"msPerStep": ms, "warmLosses": losses, "torch": torch.__version__, "threads": torch.get_num_threads(), "device": str(dev)}))


def sample(model, cfg, shape, classes, abar, T, dev):
    """DDPM sampling steps without gradients: the model's forward on x_t and the ancestral update, timed per step."""
    betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64).float().to(dev)
    c = torch.arange(shape[0], device=dev) % classes
    model.eval()

    def run(steps):
        x = torch.randn(shape, device=dev)
        with torch.no_grad():
            for k in range(steps):
                t = T - k
                tt = torch.full((shape[0],), t, device=dev, dtype=torch.long)
                eps = model(x, tt, c)
                a, b = abar[t - 1], betas[t - 1]
                x = (x - b / (1 - a).sqrt() * eps) / (1 - b).sqrt() + b.sqrt() * torch.randn_like(x)
        return x

    x = run(1)
    finite = bool(torch.isfinite(x).all())
    ms = []
    for _ in range(cfg["reps"]):
        t0 = time.perf_counter()
        x = run(cfg["steps"])
        float(x[0].flatten()[0])
        ms.append(1e3 * (time.perf_counter() - t0) / cfg["steps"])
    print(json.dumps({"msPerStep": ms, "finite": finite, "torch": torch.__version__, "threads": torch.get_num_threads(), "device": str(dev)}))


if __name__ == "__main__":
    main()
