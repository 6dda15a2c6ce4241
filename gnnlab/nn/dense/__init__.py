"""Layers and models for dense (grid and vector) data: the notes' classic deep learning."""
from gnnlab.nn.dense.avg_pool2d import AvgPool2d
from gnnlab.nn.dense.conv2d import Conv2d
from gnnlab.nn.dense.lenet5 import LeNet5
from gnnlab.nn.dense.max_pool2d import MaxPool2d
from gnnlab.nn.dense.mlp import MLP

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "MLP", "LeNet5"]
