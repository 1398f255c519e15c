"""Batch work on a Ray cluster (optional: ``pip install 'matchsvc[ray]'``).

Used only when ``MATCHSVC_RAY_ADDRESS`` (or ``matchsvc --ray ADDRESS``) is set; otherwise
nothing imports this package and Ray is never imported. Two kinds of work go to the cluster,
both through Ray's own API:

* **embedding** (:class:`RayEncoder`): the texts missing from the embedding cache become a Ray
  Data dataset, encoded by ``map_batches`` over an actor pool of encoders (each actor loads the
  model once); the groups of texts are those the in-process encoder would run together, so
  the vectors are bit-identical to an in-process ``encode`` (ONNX backend, same CPU type);
* **the ``pricing`` solver's full passes** (:class:`RayExecutor`, a
  :class:`~matchsvc.assignment.BlockExecutor`): each pass over the score rows is a set of Ray
  tasks over row spans; the flow and the certificate stay on the driver; the answer is
  byte-identical to the in-process solve.

Typical use::

    cluster = connect("local")             # or "auto", "ray://head:10001"
    result = matchsvc.assign(source, capacity=10, solver="pricing", executor=cluster.executor())

Ray itself schedules the tasks and actors (resources, locality, retries); matchsvc only cuts
the work and merges the results in a fixed order.
"""

from __future__ import annotations

from matchsvc.cluster._embedding import EncoderSpec, RayEncoder
from matchsvc.cluster._ray import Cluster, RayExecutor, connect

__all__ = ["Cluster", "EncoderSpec", "RayEncoder", "RayExecutor", "connect"]
