"""The numpy runtime's one exception, in a module of its own because every
other part (activations, layer kernels, graph walk, loading) raises it."""


class UnsupportedNetwork(Exception):
    """The saved network uses something the numpy runtime does not implement."""
