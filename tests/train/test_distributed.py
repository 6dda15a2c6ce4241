"""Data-parallel training with torch.distributed: two gloo processes on CPU."""
from __future__ import annotations

import contextlib
import copy
import datetime
import faulthandler
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from gnnlab.data import NeighborLoader, synthetic_graph
from gnnlab.nn import GraphSAGE
from gnnlab.regularize import EarlyStopping
from gnnlab.train import fit_node_classifier

WORLD_SIZE = 2
#: seconds the processes a test starts (the fixture's two ranks; torchrun and its two) may take before the test
#: kills them and fails, so that a hang fails instead of stalling CI: each run takes 90-140 s on a 2-core machine
#: shared with other jobs (measured at load averages 10-16), most of it importing torch and gnnlab in every process
RUN_TIMEOUT = 480
#: seconds a rank waits for the other in one collective before gloo raises (its default is 30 minutes): a rank that
#: waits for a collective the other never makes fails the fixture with the collective named
COLLECTIVE_TIMEOUT = 180


class _StopsOnRankZero(EarlyStopping):
    """Early stopping whose verdicts differ between ranks, as they can when each rank's metrics differ in their
    last bits (a nondeterministic CUDA scatter): rank 0 stops after the second epoch, the others never would."""

    def step(self, value, model=None) -> bool:
        super().step(value, model)
        return dist.get_rank() == 0 and self.epoch >= 1


def _worker(rank: int, init_file: str, out_dir: str) -> None:
    os.setsid()  # a process group of its own (in a session of its own), killed whole on a timeout
    # on a timeout the fixture sends SIGUSR1 first: every thread's stack goes to this file, for the failure message
    faulthandler.register(signal.SIGUSR1, file=open(f"{out_dir}/rank{rank}.stacks", "w"), all_threads=True)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD_SIZE,
                            timeout=datetime.timedelta(seconds=COLLECTIVE_TIMEOUT))
    torch.set_num_threads(1)
    data = synthetic_graph(600, num_classes=4, num_features=16, seed=0)
    torch.manual_seed(0)  # the same initial weights on every rank
    model = GraphSAGE(16, 4, hidden_channels=16, dropout=0.0)

    # one step by hand: each rank's own gradient, and the gradient DDP leaves after the all-reduce
    seeds = data.train_mask.nonzero().view(-1)[rank::WORLD_SIZE][:32]
    batch = NeighborLoader(data, [5, 5], seed=rank).sample(seeds)
    local = copy.deepcopy(model)
    F.cross_entropy(local(batch.x, batch.edge_index)[:32], batch.y[:32]).backward()
    parallel = DistributedDataParallel(copy.deepcopy(model))
    F.cross_entropy(parallel(batch.x, batch.edge_index)[:32], batch.y[:32]).backward()

    history = fit_node_classifier(model, data, batch_size=32, num_neighbors=[5, 5], epochs=4, seed=0,
                                  distributed=True, device="cpu", verbose=False)
    # interrupted after 2 epochs and resumed to 4: the same as the 4 epochs above, on every rank
    checkpoint = f"{out_dir}/ddp.ckpt"
    for epochs in (2, 4):
        torch.manual_seed(0)
        resumed = GraphSAGE(16, 4, hidden_channels=16, dropout=0.0)
        resumed_history = fit_node_classifier(resumed, data, batch_size=32, num_neighbors=[5, 5], epochs=epochs,
                                              seed=0, distributed=True, device="cpu", verbose=False,
                                              checkpoint=checkpoint)
    # ranks whose early stopping disagrees stop together, at rank 0's epoch (the one that would train on waited
    # in its next all-reduce for ever)
    torch.manual_seed(0)
    stopped = GraphSAGE(16, 4, hidden_channels=16, dropout=0.0)
    stopped_history = fit_node_classifier(stopped, data, batch_size=32, num_neighbors=[5, 5], epochs=4, seed=0,
                                          early_stopping=_StopsOnRankZero(100), distributed=True, device="cpu",
                                          verbose=False)
    torch.save({"local_grads": [p.grad for p in local.parameters()],
                "resumed_state": resumed.state_dict(), "resumed_loss": resumed_history["train_loss"],
                "synced_grads": [p.grad for p in parallel.module.parameters()],
                "state": model.state_dict(), "train_loss": history["train_loss"],
                "val_acc": history["val_acc"], "stopped_loss": stopped_history["train_loss"],
                "stopped_state": stopped.state_dict()}, f"{out_dir}/rank{rank}.pt")
    # Exit here, without letting the process group be destroyed: its destructor (run when its last reference goes,
    # here DDP's reducer as this function returns, even after destroy_process_group) joins gloo's worker threads
    # holding the GIL, and a worker still letting go of the last collective's tensors waits for the GIL: a deadlock
    # whenever that worker was starved of CPU until then (2 runs in 5 on a loaded 2-core machine; PyTorch 2.13).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    ranks = mp.start_processes(_worker, args=(str(folder / "store"), str(folder)), nprocs=WORLD_SIZE,
                               start_method="spawn", join=False)
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        # join raises (and ends the other ranks) when a rank fails; it returns True once every rank has exited
        while not ranks.join(timeout=max(deadline - time.monotonic(), 0.01)):
            if time.monotonic() >= deadline:
                hung = [rank for rank, process in enumerate(ranks.processes) if process.is_alive()]
                stacks = _kill_ranks(ranks.processes, folder)
                pytest.fail(f"the fixture's {WORLD_SIZE} ranks did not finish within {RUN_TIMEOUT} s: rank(s) "
                            f"{hung} killed with their process groups; results written: "
                            f"{sorted(path.name for path in folder.glob('rank*.pt'))}; stacks:\n{stacks}")
    finally:
        _kill_ranks(ranks.processes, folder)  # none left, unless interrupted (Ctrl-C does not reach their groups)
    return [torch.load(folder / f"rank{r}.pt", weights_only=True) for r in range(WORLD_SIZE)]


def _kill_ranks(processes, folder) -> str:
    """Have each live rank write its threads' stacks, kill its process group, and return the stacks."""
    alive = [(rank, process) for rank, process in enumerate(processes) if process.is_alive()]
    for _, process in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGUSR1)
    time.sleep(2)
    for _, process in alive:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:  # still starting: not yet the leader of a group of its own
            process.kill()
        process.join()
    return "\n".join(f"rank {rank}:\n" + (folder / f"rank{rank}.stacks").read_text()[-3000:]
                     for rank, _ in alive if (folder / f"rank{rank}.stacks").exists())


def test_gradients_are_averaged_over_ranks(results):
    first, second = results
    assert any(not torch.allclose(a, b) for a, b in zip(first["local_grads"], second["local_grads"]))
    for a, b, local_a, local_b in zip(first["synced_grads"], second["synced_grads"], first["local_grads"],
                                      second["local_grads"]):
        torch.testing.assert_close(a, b, atol=0, rtol=0)
        torch.testing.assert_close(a, (local_a + local_b) / 2, atol=1e-6, rtol=1e-5)


def test_parameters_identical_on_every_rank_and_loss_falls(results):
    first, second = results
    for name, value in first["state"].items():
        assert torch.equal(value, second["state"][name]), name
    assert first["train_loss"] == second["train_loss"]
    assert first["train_loss"][-1] < first["train_loss"][0] - 0.1
    assert first["val_acc"][-1] > 0.5


def test_ranks_stop_early_together_at_rank_zeros_epoch(results):
    first, second = results
    assert len(first["stopped_loss"]) == len(second["stopped_loss"]) == 2
    assert first["stopped_loss"] == second["stopped_loss"] == first["train_loss"][:2]
    for name, value in first["stopped_state"].items():
        assert torch.equal(value, second["stopped_state"][name]), name


def test_resume_from_checkpoint_on_two_ranks(results):
    for result in results:
        assert result["resumed_loss"] == result["train_loss"]
        for name, value in result["state"].items():
            assert torch.equal(value, result["resumed_state"][name]), name


def _run_or_kill(command: list[str], folder, timeout: float) -> tuple[int, str, str]:
    """Run ``command`` with its output in files (a full pipe cannot stall it); after ``timeout`` seconds kill it
    and every process it started, and fail. (torchrun starts each worker in a session of its own: killing
    torchrun's process group alone, or torchrun alone as ``subprocess.run(timeout=...)`` does, would leave them.)"""
    with open(folder / "stdout", "w+") as stdout, open(folder / "stderr", "w+") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True, start_new_session=True)
        try:
            returncode = process.wait(timeout)
        except BaseException as error:  # the timeout, or an interrupt (Ctrl-C does not reach a session of its own)
            started = _descendants(process.pid)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            for pid in started:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.wait()
            if not isinstance(error, subprocess.TimeoutExpired):
                raise
            stderr.seek(0)
            pytest.fail(f"{' '.join(command[1:])!r} did not finish within {timeout} s: killed it and the "
                        f"{len(started)} processes it started; its stderr ends:\n{stderr.read()[-3000:]}")
        stdout.seek(0)
        stderr.seek(0)
        return returncode, stdout.read(), stderr.read()


def _descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (from /proc; none found without it)."""
    children: dict[int, list[int]] = {}
    for stat in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if stat.isdigit():
            with contextlib.suppress(OSError):
                with open(f"/proc/{stat}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(stat))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_cli_launches_torchrun(tmp_path):
    out = tmp_path / "history.json"
    returncode, stdout, stderr = _run_or_kill(
        [sys.executable, "-m", "gnnlab", "train", "sage", "--distributed", "--nproc-per-node", "2", "--batch-size",
         "70", "--epochs", "3", "--quiet", "--out", str(out)], tmp_path, RUN_TIMEOUT)
    assert returncode == 0, stderr[-2000:]
    assert stdout.count("test accuracy") == 1  # rank 0 alone prints
    result = json.loads(out.read_text())
    assert result["world_size"] == 2 and len(result["history"]["train_loss"]) == 3


def test_distributed_module_refuses_to_run_outside_torchrun(monkeypatch):
    from gnnlab.train.distributed import init_distributed

    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="torchrun"):
        init_distributed()
