"""Registers the built-in network architectures (lazily: nothing heavy is imported)."""
from ..hookspecs import hookimpl


@hookimpl
def sasnets_register_architectures(register):
    register("resnet1d", "sasnets.networks.resnet1d:ARCHITECTURE",
             description="Compact 1D ResNet with global average pooling, AdamW + cosine schedule (default).")
    register("resnet1d_large", "sasnets.networks.resnet1d:LARGE",
             description="resnet1d 1.5x wider and twice as deep: more accurate, 4.5x the inference cost.")
    register("sasnet2017", "sasnets.networks.sasnet2017:ARCHITECTURE",
             description="The 2017 SASNets CNN (Conv1D-MaxPool x2, Dense tanh), Adadelta; the baseline.")
    register("mlp", "sasnets.networks.mlp:ARCHITECTURE",
             description="Multilayer perceptron on the flattened q-grid.")
