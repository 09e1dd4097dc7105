"""sasnets-extras: an example of a third-party sasnets plugin distribution.

It registers, through the ``sasnets`` entry-point group, exactly as any
outside package would:

* the ``nxcansas`` store (``nxcansas:DIR``): one NXcanSAS HDF5 file per curve,
  readable by SasView and by ``sasnets predict``;
* the ``transformer`` architecture: a small 1D transformer encoder.
"""
