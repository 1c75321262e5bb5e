"""What train_peer.py and bench_peer.py share: the three networks, their initialisation,
Caffe's SGD update and the learning-rate policies, defined exactly as the ImbalanceBench
engine defines them, so that a difference in accuracy or speed is the engine's and not a
difference in recipe. README.md in this folder lists every definition next to the Swift
file it mirrors.
"""

import math
import os
import re
import sys


def limit_threads_before_numpy(argv=None):
    """Caps the BLAS and OpenMP pools at --threads before NumPy or PyTorch starts them.

    The pools read these variables once, at import; set later they do nothing, so the
    scripts call this before importing numpy or torch. Without it NumPy's own OpenBLAS
    (used for ZCA) would take every core while the Swift side uses --threads.
    """
    argv = sys.argv[1:] if argv is None else argv
    threads = None
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            threads = argv[i + 1]
        elif a.startswith("--threads="):
            threads = a.split("=", 1)[1]
    if threads and threads.isdigit() and int(threads) > 0:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = threads


limit_threads_before_numpy()

import torch  # noqa: E402  (after the thread caps, on purpose)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

MODELS = ("lenet5", "allcnn", "resnet10")

# Solver defaults per model: Sources/ImbalanceTraining/RunID.swift (ModelDefaults) and
# ../shared/PROTOCOL.md. "policy" is the default policy's name; its parameters come from
# default_policy() because they depend on the iteration count.
MODEL_DEFAULTS = {
    "lenet5": dict(lr=0.01, momentum=0.9, weight_decay=5e-4, policy="inv",
                   preprocess="scale", augment="none"),
    "allcnn": dict(lr=0.01, momentum=0.9, weight_decay=1e-3, policy="multistep",
                   preprocess="gcn-zca", augment="none"),
    "resnet10": dict(lr=0.1, momentum=0.9, weight_decay=1e-4, policy="poly",
                     preprocess="standardize", augment="crop-mirror"),
}


def configure_threads(threads):
    """One intra-op pool of `threads` and no inter-op pool, as the engine's one BLAS pool."""
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        # Already set (or inter-op work already ran) in this process: harmless here.
        pass


# ---------------------------------------------------------------------------------------
# Initialisation (Sources/ImbalanceNN/Layer.swift, Initializer)


def xavier_uniform_(weight, generator):
    """Caffe's "xavier" filler: U(-a, a), a = sqrt(3 / fan_in), fan_in = in * kh * kw.

    PyTorch's xavier_uniform_ uses (fan_in + fan_out) / 2 instead, so it is not used.
    """
    fan_in = weight[0].numel()
    a = math.sqrt(3.0 / fan_in)
    with torch.no_grad():
        weight.uniform_(-a, a, generator=generator)


def msra_normal_(weight, generator):
    """Caffe's "msra" filler (He et al.): N(0, 2 / fan_in), fan_in = in * kh * kw."""
    fan_in = weight[0].numel()
    with torch.no_grad():
        weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=generator)


# ---------------------------------------------------------------------------------------
# Networks (Sources/ImbalanceNN/Models.swift). Each returns the module and a list of
# (parameter, lr_mult, decay_mult), Caffe's per-parameter multipliers.


class LeNet5(nn.Module):
    """Caffe's LeNet-5 (lenet_train_test.prototxt): conv 5x5x20, max-pool 2/2, conv 5x5x50,
    max-pool 2/2, FC 500, ReLU, FC classes. No ReLU after the convolutions, as in Caffe."""

    def __init__(self, classes, channels=1, size=28):
        super().__init__()
        p2 = ((size - 4) // 2 - 4) // 2
        self.conv1 = nn.Conv2d(channels, 20, 5)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.pool2 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.ip1 = nn.Linear(50 * p2 * p2, 500)
        self.ip2 = nn.Linear(500, classes)

    def forward(self, x):
        x = self.pool1(self.conv1(x))
        x = self.pool2(self.conv2(x))
        x = F.relu(self.ip1(x.flatten(1)))
        return self.ip2(x)


class AllCNN(nn.Module):
    """All-CNN-C (Springenberg et al. 2015) as ../shared/PROTOCOL.md states it: no FC, global
    average pooling over the 6x6 map left by the last three convolutions."""

    def __init__(self, classes, channels=3):
        super().__init__()

        def conv(cin, cout, k, stride=1, pad=0):
            return nn.Conv2d(cin, cout, k, stride=stride, padding=pad)

        self.features = nn.Sequential(
            nn.Dropout(0.2),
            conv(channels, 96, 3, pad=1), nn.ReLU(),
            conv(96, 96, 3, pad=1), nn.ReLU(),
            conv(96, 96, 3, stride=2, pad=1), nn.ReLU(),
            nn.Dropout(0.5),
            conv(96, 192, 3, pad=1), nn.ReLU(),
            conv(192, 192, 3, pad=1), nn.ReLU(),
            conv(192, 192, 3, stride=2, pad=1), nn.ReLU(),
            nn.Dropout(0.5),
            conv(192, 192, 3), nn.ReLU(),
            conv(192, 192, 1), nn.ReLU(),
            conv(192, classes, 1), nn.ReLU(),
        )

    def forward(self, x):
        return self.features(x).mean(dim=(2, 3))


class BasicBlock(nn.Module):
    """conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN, plus the shortcut (identity, or
    conv1x1(stride) + BN when the shape changes), then ReLU. Convolutions have no bias."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class ResNet10(nn.Module):
    """ResNet-10 with the CIFAR stem (conv3x3x64 stride 1, BN, ReLU; no max-pool), one basic
    block per stage (64, 128/2, 256/2, 512/2), global average pooling, FC."""

    def __init__(self, classes, channels=3):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(channels, 64, 3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(64, eps=1e-5, momentum=0.1), nn.ReLU())
        self.blocks = nn.Sequential(
            BasicBlock(64, 64, 1), BasicBlock(64, 128, 2),
            BasicBlock(128, 256, 2), BasicBlock(256, 512, 2))
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(x.mean(dim=(2, 3)))


def build_model(name, classes, channels, size, seed):
    """The network `name`, initialised from `seed` as the engine initialises it, and its
    solver entries (parameter, lr_mult, decay_mult).

    LeNet-5: Xavier weights, zero biases, biases at 2x the rate (Caffe's prototxt).
    All-CNN: Xavier weights, zero biases, multipliers 1.
    ResNet-10: MSRA conv and FC weights, FC bias 0, BN gamma 1 / beta 0 with no weight
    decay (Sources/ImbalanceNN/BatchNorm.swift); everything at lr_mult 1.
    """
    gen = torch.Generator().manual_seed(seed)
    if name == "lenet5":
        model = LeNet5(classes, channels, size)
    elif name == "allcnn":
        if size != 32:
            raise ValueError(f"allcnn expects 32x32 inputs (its 6x6 pooling window), got {size}x{size}")
        model = AllCNN(classes, channels)
    elif name == "resnet10":
        model = ResNet10(classes, channels)
    else:
        raise ValueError(f"unknown model '{name}' (expected one of {', '.join(MODELS)})")
    entries = []
    fill = msra_normal_ if name == "resnet10" else xavier_uniform_
    bias_lr = 2.0 if name == "lenet5" else 1.0
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            fill(module.weight, gen)
            entries.append((module.weight, 1.0, 1.0))
            if module.bias is not None:
                with torch.no_grad():
                    module.bias.zero_()
                entries.append((module.bias, bias_lr, 1.0))
        elif isinstance(module, nn.BatchNorm2d):
            with torch.no_grad():
                module.weight.fill_(1.0)
                module.bias.zero_()
            module.reset_running_stats()
            entries.append((module.weight, 1.0, 0.0))
            entries.append((module.bias, 1.0, 0.0))
    covered = {id(p) for p, _, _ in entries}
    missing = [n for n, p in model.named_parameters() if id(p) not in covered]
    if missing:
        raise AssertionError(f"parameters without solver multipliers: {missing}")
    return model, entries


def forward_macs_per_image(model, channels, size):
    """Multiply-accumulates of convolutions and FC layers for one image, counted as
    imbench bench counts them (Network.forwardMACsPerImage), plus those of the first such
    layer, whose input gradient backward never computes."""
    macs = []

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            macs.append(output.numel() * (module.in_channels // module.groups) * k)
        else:
            macs.append(module.in_features * module.out_features)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, channels, size, size))
    model.train(was_training)
    for h in handles:
        h.remove()
    return sum(macs), (macs[0] if macs else 0)


# ---------------------------------------------------------------------------------------
# Solver (Sources/ImbalanceNN/Solver.swift)


class CaffeSGD:
    """Caffe's SGD, the engine's update, per parameter:

        v <- momentum * v + lr_t * lr_mult * (g + weight_decay * decay_mult * w)
        w <- w - v

    torch.optim.SGD keeps v = momentum * v + g and steps by lr_t * v instead, which is a
    different trajectory as soon as lr_t changes (multistep, poly, inv), so it is not used.
    Parameters with equal multipliers are updated together with PyTorch's multi-tensor
    (_foreach) kernels, as torch.optim does, so the peer pays no per-tensor Python cost.
    """

    def __init__(self, entries, momentum, weight_decay):
        self.momentum = float(momentum)
        groups = {}
        for p, lr_mult, decay_mult in entries:
            groups.setdefault((float(lr_mult), float(decay_mult) * float(weight_decay)), []).append(p)
        self.groups = [(lr_mult, decay, params, [torch.zeros_like(p) for p in params])
                       for (lr_mult, decay), params in groups.items()]
        self.params = [p for _, _, ps, _ in self.groups for p in ps]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self, lr):
        for lr_mult, decay, params, history in self.groups:
            grads = [p.grad for p in params]
            if decay != 0.0:
                torch._foreach_add_(grads, params, alpha=decay)
            torch._foreach_mul_(history, self.momentum)
            torch._foreach_add_(history, grads, alpha=lr * lr_mult)
            torch._foreach_sub_(params, history)


class LearningRatePolicy:
    """Caffe's policies, t the 0-based iteration (LearningRatePolicy.rate in Solver.swift):

    fixed:     base
    inv:       base * (1 + gamma * t)^-power            (LeNet: gamma 1e-4, power 0.75)
    multistep: base * gamma^(number of milestones <= t)
    poly:      base * max(0, 1 - t / max_iter)^power     (power 1: linear decay to 0)
    """

    def __init__(self, kind, gamma=None, power=None, milestones=(), max_iter=None):
        self.kind, self.gamma, self.power = kind, gamma, power
        self.milestones, self.max_iter = list(milestones), max_iter

    def rate(self, base, t):
        if self.kind == "fixed":
            return base
        if self.kind == "inv":
            return base * (1.0 + self.gamma * t) ** (-self.power)
        if self.kind == "multistep":
            return base * self.gamma ** sum(1 for m in self.milestones if m <= t)
        if self.kind == "poly":
            return base * max(0.0, 1.0 - t / self.max_iter) ** self.power
        raise ValueError(f"unknown policy {self.kind}")

    def describe(self):
        """The engine's LearningRatePolicy.description form, for records and tables."""
        if self.kind == "fixed":
            return "fixed"
        if self.kind == "inv":
            return f"inv(gamma={self.gamma},power={self.power})"
        if self.kind == "multistep":
            return f"multistep({','.join(str(m) for m in self.milestones)},gamma={self.gamma})"
        return f"poly(max={self.max_iter},power={self.power})"

    @staticmethod
    def parse(text):
        """Reads the engine's description ("inv(gamma=0.0001,power=0.75)",
        "multistep(40000,50000,gamma=0.1)", "poly(max=320000,power=1.0)", "fixed"), as
        recorded in a run record's config.learningRatePolicy. Also accepts the keyword
        form "multistep(gamma: 0.1, steps: [40000, 50000])"."""
        t = text.replace(" ", "")
        m = re.fullmatch(r"(fixed|inv|multistep|poly)(?:\((.*)\))?", t)
        if not m:
            raise ValueError(f"cannot read learning-rate policy '{text}' (expected fixed, "
                             "inv(gamma=G,power=P), multistep(M1,M2,...,gamma=G) or poly(max=N,power=P))")
        kind, body = m.group(1), m.group(2) or ""
        keyed, positional = {}, []
        steps = re.search(r"(?:steps|milestones)[:=]\[([^\]]*)\]", body)
        if steps:
            positional = [float(v) for v in steps.group(1).split(",") if v]
            body = body[:steps.start()] + body[steps.end():]
        for part in filter(None, body.split(",")):
            kv = re.split(r"[:=]", part, maxsplit=1)
            try:
                if len(kv) == 2:
                    keyed[kv[0]] = float(kv[1])
                else:
                    positional.append(float(part))
            except ValueError:
                raise ValueError(f"cannot read '{part}' in learning-rate policy '{text}'") from None
        try:
            if kind == "fixed":
                return LearningRatePolicy("fixed")
            if kind == "inv":
                return LearningRatePolicy("inv", gamma=keyed["gamma"], power=keyed["power"])
            if kind == "multistep":
                return LearningRatePolicy("multistep", gamma=keyed["gamma"],
                                          milestones=sorted(int(v) for v in positional))
            return LearningRatePolicy("poly", max_iter=int(keyed["max"]), power=keyed["power"])
        except KeyError as e:
            raise ValueError(f"learning-rate policy '{text}' lacks {e.args[0]}") from None


def default_policy(model, kind, iterations, steps=None):
    """The engine's default schedule of `model` for a run of `iterations` (RunID.swift):
    inv(1e-4, 0.75) for LeNet-5; for All-CNN x0.1 at the paper's 40k/50k/60k of 70k,
    scaled to the run (iterations * 4/7, 5/7, 6/7, integer division); poly to 0 at the
    last iteration for ResNet-10. `steps` overrides the milestones."""
    if kind == "fixed":
        return LearningRatePolicy("fixed")
    if kind == "inv":
        return LearningRatePolicy("inv", gamma=1e-4, power=0.75)
    if kind == "multistep":
        milestones = steps if steps is not None else [iterations * k // 7 for k in (4, 5, 6)]
        return LearningRatePolicy("multistep", gamma=0.1, milestones=milestones)
    if kind == "poly":
        return LearningRatePolicy("poly", max_iter=iterations, power=1.0)
    raise ValueError(f"unknown policy '{kind}' for {model}")


def torch_environment():
    """The PyTorch build and threading facts that decide its CPU speed."""
    show = torch.__config__.show()
    info = torch.__config__.parallel_info()

    def grab(pattern, text):
        m = re.search(pattern, text)
        return m.group(1).strip() if m else None

    return {
        "torch": torch.__version__,
        "cudaBuild": torch.version.cuda is not None,
        "cpuCapability": torch.backends.cpu.get_cpu_capability(),
        "mkl": grab(r"(Intel\(R\) (?:oneAPI )?Math Kernel Library[^\n]*)", show),
        "onednn": grab(r"(Intel\(R\) MKL-DNN v[0-9.]+)", show) or grab(r"(oneDNN v[0-9.]+)", show),
        "mkldnnEnabled": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
        "blas": grab(r"BLAS_INFO=([^,]+)", show),
        "parallelBackend": grab(r"ATen parallel backend: ([^\n]+)", info),
        "intraOpThreads": torch.get_num_threads(),
        "interOpThreads": torch.get_num_interop_threads(),
        "ompMaxThreads": grab(r"omp_get_max_threads\(\) : (\d+)", info),
        "mklMaxThreads": grab(r"mkl_get_max_threads\(\) : (\d+)", info),
    }
