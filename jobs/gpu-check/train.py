"""Tiny training run of the gpu-check job:
    python train.py --framework tensorflow|pytorch --seconds 60 --output DIR

Trains a small MLP to imitate a fixed random "teacher" function on synthetic data (a fresh random batch
each step, so no data set is needed) for about --seconds, on the first GPU the framework sees (on the CPU
if there is none, so the result can say so). Writes TensorBoard events to DIR/events (scalar "loss") and a
checkpoint under DIR/checkpoint, then prints one line for train.sh, which decides pass or fail:
    result device=GPU:0 steps=<n> seconds=<s> first_loss=<x> last_loss=<y> checkpoint=<file> events=<dir>
"""

import argparse
import os
import time

FEATURES, HIDDEN, BATCH = 64, 256, 1024
LEARNING_RATE = 0.05
LOG_EVERY_STEPS = 100
PRINT_EVERY_SECONDS = 10.0


class Progress:
    """Prints a line every PRINT_EVERY_SECONDS and keeps the first and last loss."""

    def __init__(self, seconds):
        self.start = time.monotonic()
        self.seconds = seconds
        self.next_print = self.start + PRINT_EVERY_SECONDS
        self.first_loss = None
        self.last_loss = None
        self.steps = 0

    def running(self):
        return time.monotonic() - self.start < self.seconds

    def record(self, loss):
        if self.first_loss is None:
            self.first_loss = loss
        self.last_loss = loss
        now = time.monotonic()
        if now >= self.next_print:
            print(f"step {self.steps} loss {loss:.6g} ({now - self.start:.0f} s)", flush=True)
            self.next_print = now + PRINT_EVERY_SECONDS

    def elapsed(self):
        return time.monotonic() - self.start


def train_tensorflow(seconds, output):
    import tensorflow as tf

    # TensorFlow's default soft placement stays on: summary and checkpoint ops only have CPU kernels. The
    # device the loss was computed on is reported, so a run that fell back to the CPU fails in train.sh.
    device = "/GPU:0" if tf.config.list_logical_devices("GPU") else "/CPU:0"
    tf.random.set_seed(0)

    class Mlp(tf.Module):
        def __init__(self):
            super().__init__()
            self.w1 = tf.Variable(tf.random.normal((FEATURES, HIDDEN), stddev=FEATURES**-0.5))
            self.b1 = tf.Variable(tf.zeros((HIDDEN,)))
            self.w2 = tf.Variable(tf.random.normal((HIDDEN, 1), stddev=HIDDEN**-0.5))
            self.b2 = tf.Variable(tf.zeros((1,)))

        def __call__(self, x):
            return tf.nn.relu(x @ self.w1 + self.b1) @ self.w2 + self.b2

    with tf.device(device):
        teacher = tf.random.normal((FEATURES, 1), stddev=FEATURES**-0.5)
        model = Mlp()

    @tf.function
    def step():
        x = tf.random.normal((BATCH, FEATURES))
        y = tf.tanh(x @ teacher)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        gradients = tape.gradient(loss, model.trainable_variables)
        for variable, gradient in zip(model.trainable_variables, gradients):
            variable.assign_sub(LEARNING_RATE * gradient)
        return loss

    writer = tf.summary.create_file_writer(os.path.join(output, "events"))
    progress = Progress(seconds)
    with writer.as_default():
        while progress.running():
            with tf.device(device):
                loss = step()
            progress.steps += 1
            if progress.steps == 1 or progress.steps % LOG_EVERY_STEPS == 0:
                tf.summary.scalar("loss", loss, step=progress.steps)
                progress.record(float(loss))
        progress.record(float(loss))
    writer.close()
    checkpoint = tf.train.Checkpoint(model=model, step=tf.Variable(progress.steps, dtype=tf.int64))
    prefix = checkpoint.save(os.path.join(output, "checkpoint", "ckpt"))
    return loss.device.rsplit("device:", 1)[-1], progress, f"{prefix}.index"


def train_pytorch(seconds, output):
    import torch
    from torch.utils.tensorboard import SummaryWriter

    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    teacher = torch.randn(FEATURES, 1, device=device) * FEATURES**-0.5
    model = torch.nn.Sequential(
        torch.nn.Linear(FEATURES, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 1)
    ).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    writer = SummaryWriter(log_dir=os.path.join(output, "events"))
    progress = Progress(seconds)
    while progress.running():
        x = torch.randn(BATCH, FEATURES, device=device)
        loss = torch.nn.functional.mse_loss(model(x), torch.tanh(x @ teacher))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        progress.steps += 1
        if progress.steps == 1 or progress.steps % LOG_EVERY_STEPS == 0:
            value = loss.item()
            writer.add_scalar("loss", value, progress.steps)
            progress.record(value)
    progress.record(loss.item())
    writer.close()
    path = os.path.join(output, "checkpoint", "model.pt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": progress.steps}
    torch.save(state, path)
    used = f"GPU:{loss.device.index or 0}" if loss.device.type == "cuda" else "CPU:0"
    return used, progress, path


TRAINERS = {"tensorflow": train_tensorflow, "pytorch": train_pytorch}


def main():
    parser = argparse.ArgumentParser(description="Tiny synthetic training run of the gpu-check job.")
    parser.add_argument("--framework", choices=sorted(TRAINERS), required=True)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    device, progress, checkpoint = TRAINERS[args.framework](args.seconds, args.output)
    print(
        f"result device={device} steps={progress.steps} seconds={progress.elapsed():.1f} "
        f"first_loss={progress.first_loss:.6g} last_loss={progress.last_loss:.6g} "
        f"checkpoint={checkpoint} events={os.path.join(args.output, 'events')}",
        flush=True,
    )


if __name__ == "__main__":
    main()
