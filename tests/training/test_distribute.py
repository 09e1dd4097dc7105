"""``--distribute``: MirroredStrategy over two logical CPU devices (in a subprocess,
because logical devices must be configured before TensorFlow starts)."""
import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from sasnets.training.train import train
clf = train(sys.argv[1], sys.argv[2], arch="mlp", hyper={"units": [16]}, epochs=2, batch_size=32, seed=0,
            qgrid={"qmin": 1e-3, "qmax": 0.5, "nq": 48}, distribute=True, tensorboard=False)
print(json.dumps({"replicas": clf.meta.training["replicas"], "acc": clf.metrics["val_accuracy"]}))
"""


@pytest.mark.slow
def test_distribute_trains_on_two_logical_cpus(toy_store, tmp_path):
    run = str(tmp_path / "dist")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": "tensorflow"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, toy_store, run], capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert os.path.exists(os.path.join(run, "network.keras"))
