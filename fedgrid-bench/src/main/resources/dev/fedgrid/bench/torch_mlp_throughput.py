"""PyTorch baseline of TrainingThroughputBenchmark: the same MLP, data, optimizer and batch sizes.

Trains an MLP 784-128-10 (ReLU, softmax cross-entropy, SGD with momentum) on the Fashion-MNIST
training images, pixels scaled by 1/255, with one intra-op and one inter-op thread. The benchmark
drives it through standard input so that its epochs alternate with FedGrid's:

    model 32      a fresh model for batch size 32; answers "model batch=32"
    epoch         one epoch; answers
                  "epoch batch=32 seconds=1.234567 examples=60000 loss=0.5123 accuracy=0.8123"

Every epoch shuffles the rows, gathers each mini-batch from the preloaded tensor, and reads the
batch loss and the number of correct predictions back (as the FedGrid engine does for its
training metrics). The first line is "version ...", the second "ready rows=N" once the data is
loaded. `--probe` only prints the version line; it exits 3 when torch cannot be imported.
"""

import argparse
import gzip
import os
import platform
import struct
import sys
import time


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    _, kind, dims = struct.unpack(">HBB", data[:4])
    if kind != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return shape, data[4 + 4 * dims :]


def find(directory, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"{directory} has no {name}[.gz]")


def blas():
    """The BLAS libraries this process has loaded (Debian's PyTorch uses whichever libblas.so.3 resolves to)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1]}
    except OSError:
        return "unknown"
    return ",".join(sorted(os.path.realpath(p) for p in paths)) or "none"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--data")
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        print(f"cannot import torch with {sys.executable}: {e}", file=sys.stderr)
        sys.exit(3)
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set in this process
    torch.ones(64, 64) @ torch.ones(64, 64)  # loads the BLAS library, so that it shows in the process's maps
    print(f"version torch={torch.__version__} python={platform.python_version()} threads={torch.get_num_threads()} blas={blas()}", flush=True)
    if args.probe:
        return

    (rows, height, width), pixels = read_idx(find(args.data, "train-images-idx3-ubyte"))
    (count,), labels = read_idx(find(args.data, "train-labels-idx1-ubyte"))
    if count != rows:
        raise ValueError(f"{rows} images but {count} labels")
    x = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).reshape(rows, height * width).float().div_(255.0)
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()

    print(f"ready rows={rows}", flush=True)
    model = optimizer = shuffle = None
    batch = 0
    for command in sys.stdin:
        words = command.split()
        if words[:1] == ["model"]:
            batch = int(words[1])
            torch.manual_seed(args.seed)
            model = torch.nn.Sequential(torch.nn.Linear(height * width, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
            optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
            shuffle = torch.Generator().manual_seed(args.seed)
            print(f"model batch={batch}", flush=True)
        elif words[:1] == ["epoch"] and model is not None:
            total_loss = 0.0
            correct = 0
            started = time.perf_counter()
            order = torch.randperm(rows, generator=shuffle)
            for start in range(0, rows, batch):
                index = order[start : start + batch]
                xb, yb = x[index], y[index]
                out = model(xb)
                loss = F.cross_entropy(out, yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total_loss += loss.item() * len(index)
                correct += (out.argmax(1) == yb).sum().item()
            seconds = time.perf_counter() - started
            print(f"epoch batch={batch} seconds={seconds:.6f} examples={rows} loss={total_loss / rows:.6f} accuracy={correct / rows:.6f}", flush=True)
        else:
            print(f"error unknown command {command.strip()!r}; send 'model BATCH' then 'epoch'", flush=True)

if __name__ == "__main__":
    main()
