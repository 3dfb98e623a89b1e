"""Framework probe of the gpu-check job: `python probe.py tensorflow|pytorch`.

Imports the framework, runs a small matrix product on every GPU it lists, and prints one fact a line:
    framework <name> <version>
    cuda <CUDA version the build was compiled for, or none for a CPU-only build>
    gpu <device name>                   a GPU that computed the product correctly
    gpu_unusable <device name>: <error> a GPU the framework lists but cannot compute on
framework.sh decides pass or fail from these lines. The probe itself fails (exit 1, traceback on stderr)
only when the import does.
"""

import sys

SIZE = 64
EXPECTED = float(SIZE**3)  # sum of ones(SIZE, SIZE) @ ones(SIZE, SIZE)


def say(key, value):
    print(f"{key} {value}", flush=True)


def probe_tensorflow():
    import tensorflow as tf

    # Without this, an op that cannot run on the GPU silently runs on the CPU.
    tf.config.set_soft_device_placement(False)
    say("framework", f"tensorflow {tf.__version__}")
    say("cuda", tf.sysconfig.get_build_info().get("cuda_version") or "none")
    for index, gpu in enumerate(tf.config.list_physical_devices("GPU")):
        name = tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
        try:
            with tf.device(f"/GPU:{index}"):
                ones = tf.ones((SIZE, SIZE))
                product = tf.matmul(ones, ones)
            if "GPU" not in product.device or float(tf.reduce_sum(product)) != EXPECTED:
                raise RuntimeError(f"wrong result or device ({product.device})")
            say("gpu", name)
        except Exception as error:  # noqa: BLE001 - any failure makes this GPU unusable
            say("gpu_unusable", f"{name}: {one_line(error)}")


def probe_pytorch():
    import torch

    say("framework", f"torch {torch.__version__}")
    say("cuda", torch.version.cuda or "none")
    if not torch.cuda.is_available():
        return
    for index in range(torch.cuda.device_count()):
        name = torch.cuda.get_device_name(index)
        try:
            ones = torch.ones(SIZE, SIZE, device=f"cuda:{index}")
            if float((ones @ ones).sum().item()) != EXPECTED:
                raise RuntimeError("wrong result")
            say("gpu", name)
        except Exception as error:  # noqa: BLE001 - any failure makes this GPU unusable
            say("gpu_unusable", f"{name}: {one_line(error)}")


def one_line(error):
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}"[:300]


PROBES = {"tensorflow": probe_tensorflow, "pytorch": probe_pytorch}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in PROBES:
        print("usage: probe.py tensorflow|pytorch", file=sys.stderr)
        sys.exit(2)
    PROBES[sys.argv[1]]()
