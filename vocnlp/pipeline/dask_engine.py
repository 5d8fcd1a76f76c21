"""Analyse a dump's chunks on a Dask distributed cluster (``vocnlp run --engine dask``).

The client reads and validates the dump as the local engine does, sends each chunk's rows to a worker, and keeps
each finished chunk in the run's chunk store (:mod:`vocnlp.pipeline.checkpoints`) as it comes back; scores,
groups and drivers are then computed on the client from the compact analysis columns, exactly as locally. A
chunk's labels depend on its own rows and the configuration only (:meth:`Pipeline.annotate_chunk`), so the
cluster gives the local engine's tables whatever the order the chunks finish in, and ``--resume`` works the same.

Each worker loads the models once, when the plugin is registered (:class:`PipelineOnWorker`): workers need the
same vocnlp installed (the shipped models come with it) and, for a configuration that names files (a theme
model, a taxonomy, ``--code``), the same paths, e.g. on a shared file system.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Callable, Iterable

import dask
import distributed
import pandas as pd

from vocnlp.config import RunConfig
from vocnlp.errors import VocnlpError
from vocnlp.pipeline.checkpoints import ChunkParts
from vocnlp.pipeline.runner import Pipeline

PLUGIN_NAME = "vocnlp-pipeline"
_log = logging.getLogger(__name__).info


class PipelineOnWorker(distributed.WorkerPlugin):
    """A worker plugin that builds the run's pipeline and loads its models once per worker.

    ``code``: the user's ``--code`` file, imported on the worker first so that the stages it registers exist.
    """

    name = PLUGIN_NAME
    idempotent = False  # a new run replaces an earlier run's pipeline on a long-lived cluster

    def __init__(self, config: RunConfig, code: str | None = None):
        """Keep what the worker needs to build the pipeline; nothing is loaded on the client."""
        self.config, self.code = config, code
        self.pipeline: Pipeline | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        # Sent to the workers before setup: the loaded pipeline and the lock stay where they were made.
        return {"config": self.config, "code": self.code}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["config"], state["code"])  # type: ignore[misc]

    async def setup(self, worker) -> None:
        """Load the models off the worker's event loop (it keeps answering the scheduler meanwhile)."""
        await asyncio.get_running_loop().run_in_executor(None, self.load)

    def load(self) -> Pipeline:
        """The worker's pipeline with its models loaded (built on the first call)."""
        with self._lock:
            if self.pipeline is None:
                if self.code:
                    from vocnlp.cli.run_support import import_user_code

                    import_user_code(Path(self.code))
                self.pipeline = Pipeline(self.config).setup()
            return self.pipeline


def _pipeline_on_this_worker(worker=None) -> Pipeline:
    plugin = (worker or distributed.get_worker()).plugins[PLUGIN_NAME]
    assert isinstance(plugin, PipelineOnWorker)  # registered by DaskEngine under this name
    return plugin.load()


def describe_on_worker(dask_worker) -> list[dict]:
    """The worker pipeline's stage descriptions, with what its stages counted (texts embedded...) so far (run by
    ``Client.run``, which passes the worker as ``dask_worker``)."""
    return _pipeline_on_this_worker(dask_worker).describe()


def merge_stage_descriptions(per_worker: list[list[dict]]) -> list[dict]:
    """One description per stage from every worker's: counts added up, everything else from the first."""
    merged = [dict(stage) for stage in per_worker[0]]
    for stages in per_worker[1:]:
        for total, stage in zip(merged, stages):
            for key, value in stage.items():
                if isinstance(value, int) and not isinstance(value, bool) and isinstance(total.get(key), int):
                    total[key] += value
    return merged


def annotate_on_worker(rows: pd.DataFrame, keep_vectors: bool) -> tuple[ChunkParts, dict]:
    """One chunk through the worker's pipeline: its results and its stage seconds (run as a Dask task)."""
    pipeline = _pipeline_on_this_worker()
    timings = {s.name: 0.0 for s in pipeline.stages}
    parts = pipeline.annotate_chunk(rows.copy(), timings, keep_vectors)
    return parts, timings


class DaskEngine:
    """Chunks analysed on a Dask cluster: the one at ``scheduler`` (an address such as ``tcp://host:8786``), or a
    ``LocalCluster`` of ``workers`` processes with one thread each started on this machine for the run."""

    def __init__(self, scheduler: str | None = None, workers: int = 2, code: str | Path | None = None):
        """Nothing starts until :meth:`annotate_chunks`; ``code`` is the ``--code`` file, if any."""
        if scheduler is None and workers < 1:
            raise VocnlpError(f"--workers must be at least 1 (got {workers}).")
        self.scheduler, self.workers = scheduler, workers
        self.code = str(Path(code).absolute()) if code is not None else None
        self.workers_used = 0
        self.worker_stages: list[dict] | None = None

    def describe(self) -> dict:
        """Where the chunks ran, for the run metadata."""
        return {
            "name": "dask",
            "scheduler": self.scheduler or "LocalCluster",
            "workers": self.workers_used,
            # What the workers' stages counted (the client's own pipeline analysed nothing); popped by the runner.
            "stages": self.worker_stages,
        }

    def annotate_chunks(
        self,
        pipeline: Pipeline,
        chunks: Iterable[tuple[int, pd.DataFrame]],
        keep: Callable[[int, ChunkParts], None],
        timings: dict,
        advance: Callable[[int], None],
    ) -> None:
        """Analyse ``chunks`` on the cluster, a few per worker in flight at a time (so neither the client nor
        the workers hold the whole dump twice), handing each result to ``keep`` as it arrives."""
        cluster = None
        if self.scheduler is None:
            cluster = self._local_cluster()
        try:
            with distributed.Client(cluster if cluster is not None else self.scheduler) as client:
                self._run(client, pipeline, chunks, keep, timings, advance)
        except OSError as exc:
            raise VocnlpError(
                f"Could not reach the Dask scheduler at '{self.scheduler}': {exc}.",
                "Check the address (tcp://host:8786) and that the scheduler is running.",
            ) from exc
        finally:
            if cluster is not None:
                cluster.close()

    def _local_cluster(self):
        """A LocalCluster of ``workers`` processes, one thread each (the chunks are the parallel unit)."""
        # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ for its workers, and setting it switches off glibc's adaptive
        # mmap threshold, so the encoder's large temporary arrays are mapped and unmapped again and again: on
        # 10,000 comments the workers' embed stage took 99 s with it and 77 s without (one run each). The BLAS
        # thread limits are kept: single-threaded workers, as many as the cores, not twice as many threads.
        environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items()}
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
            return distributed.LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.WARNING,  # the run's own progress bar says where it is
            )

    def _run(self, client, pipeline, chunks, keep, timings, advance) -> None:
        self.workers_used = len(client.scheduler_info()["workers"])
        if self.workers_used == 0:
            raise VocnlpError(
                f"The Dask scheduler at '{self.scheduler}' has no workers.", "Start workers, then run again."
            )
        _log(f"Loading the models on {self.workers_used} Dask worker(s).")
        client.register_plugin(PipelineOnWorker(pipeline.config, self.code))
        keep_vectors = pipeline.config.adaptation.enabled
        window = 2 * self.workers_used
        pending = iter(chunks)
        in_flight = distributed.as_completed()
        index_of: dict = {}

        def submit_next() -> None:
            for index, rows in pending:
                future = client.submit(annotate_on_worker, rows, keep_vectors, pure=False)
                index_of[future.key] = (index, len(rows))
                in_flight.add(future)
                return

        for _ in range(window):
            submit_next()
        for future in in_flight:
            parts, seconds = future.result()
            index, n_rows = index_of.pop(future.key)
            future.release()
            keep(index, parts)
            for stage, value in seconds.items():
                timings[stage] += value
            advance(n_rows)
            submit_next()
        self.worker_stages = merge_stage_descriptions(list(client.run(describe_on_worker).values()))


__all__ = ["DaskEngine", "PipelineOnWorker", "annotate_on_worker"]
