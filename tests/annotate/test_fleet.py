#!/usr/bin/python3
"""Fleets of captures with scripts/annotate (ctest annotate/fleet): --shard, --out-dir, --merge, a
GNU parallel run with local workers, and the Slurm job array script run as Slurm would run its tasks.

On a folder of 6 captures (four of test-captures/lifecycle/, one gzip'd, one in a subfolder with a
space in its name) plus a corrupt one:
  1. each --shard K/3 run writes exactly the captures whose path hashes to share K (shard_of(): the
     path alone decides, so adding a capture moves no other), and the shares cover every capture;
  2. three --out-dir runs, one per share, then --merge: the same bytes as one run on one machine, in
     both modes (per segment and --summary) and both formats, and the same exit status (1: the corrupt
     capture) and FAILED line;
  3. a rerun skips the complete outputs: after one output is deleted (and a half-written file left,
     as an interrupted job leaves it) only that capture is annotated again, and the merge is the same;
  4. GNU parallel (`parallel -j 2`, local workers) running the three shares, then --merge: the same;
  5. scripts/annotate-slurm.sbatch run for each array task id with the variables Slurm sets, then
     --merge: the same;
  6. --merge with an output missing names it and exits 1; --out-dir into a folder of another run, 2.
Environment: TCPSTATE_BUILD (build folder, used by scripts/tshark).
"""

import gzip
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ANNOTATE = os.path.join(REPO, "scripts", "annotate")
SLURM = os.path.join(REPO, "scripts", "annotate-slurm.sbatch")
CAPS = os.path.join(REPO, "test-captures")

failures = []


def load_annotate():
    """scripts/annotate as a module, for its shard_of() and output_name()."""
    loader = importlib.machinery.SourceFileLoader("annotate", ANNOTATE)
    spec = importlib.util.spec_from_loader("annotate", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg, flush=True)
    if not cond:
        failures.append(msg)
    return cond


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, **kw)
    return p.returncode, p.stdout, p.stderr


def annotate(*args):
    return run([ANNOTATE, "-q", "-j", "2"] + list(args))


def read(path):
    with open(path, "rb") as fh:
        return fh.read()


def failed_lines(err):
    return sorted(line for line in err.splitlines() if "FAILED" in line or "files failed" in line)


def make_fleet(root):
    """6 good captures and a corrupt one, in a folder with a subfolder; returns the folder."""
    fleet = os.path.join(root, "fleet")
    os.makedirs(os.path.join(fleet, "day2"))
    for name in ("real-close-wait-open", "real-fin-wait-2", "real-syn-unanswered", "real-time-wait-reuse"):
        shutil.copy(os.path.join(CAPS, "lifecycle", name + ".pcap"), os.path.join(fleet, name + ".pcap"))
    shutil.copy(os.path.join(CAPS, "real-client-close.pcap"), os.path.join(fleet, "day2", "client close.pcap"))
    with open(os.path.join(CAPS, "real-refused.pcap"), "rb") as src, \
            gzip.open(os.path.join(fleet, "day2", "refused.pcap.gz"), "wb") as dst:
        dst.write(src.read())
    with open(os.path.join(CAPS, "synth-half-close.pcap"), "rb") as src:
        data = src.read()
    with open(os.path.join(fleet, "day2", "z-corrupt.pcap"), "wb") as dst:
        dst.write(data[:24] + b"\xff\xff\xff\xff" * 4 + data[40:])  # a record header with an absurd length
    os.chmod(root, 0o755)
    for d, _, names in os.walk(fleet):
        os.chmod(d, 0o755)
        for n in names:
            os.chmod(os.path.join(d, n), 0o644)
    return fleet


def main():
    with tempfile.TemporaryDirectory(prefix="tcpstate-fleet.") as root:
        fleet = make_fleet(root)
        mod = load_annotate()
        errors = []
        paths = mod.collect([fleet], errors)
        n_caps = len(paths)
        check(n_caps == 7 and not errors, "the fleet: %d captures" % n_caps)

        # Reference: one run on one machine.
        ref = {}
        for mode, fmt in (([], "csv"), (["--summary"], "csv"), (["--summary"], "jsonl")):
            out = os.path.join(root, "single%s.%s" % ("".join(mode), fmt))
            rc, _, err = annotate("--format", fmt, "-o", out, *mode, fleet)
            ref[(tuple(mode), fmt)] = (rc, read(out), failed_lines(err))
        check(ref[((), "csv")][0] == 1, "one run: exit status 1 (the corrupt capture)")
        check(len(ref[((), "csv")][2]) == 2, "one run: one FAILED line and the count: %s" % ref[((), "csv")][2])

        # 1 and 2. --out-dir per share, --merge: the same as one run.
        for mode, fmt in (([], "csv"), (["--summary"], "csv"), (["--summary"], "jsonl")):
            d = os.path.join(root, "out%s-%s" % ("".join(mode), fmt))
            codes, union = [], set()
            for k in (1, 2, 3):
                before = set(os.listdir(d)) if os.path.isdir(d) else set()
                codes.append(annotate("--format", fmt, "--out-dir", d, "--shard", "%d/3" % k, *mode, fleet)[0])
                written = {f for f in set(os.listdir(d)) - before if f.endswith((fmt, ".partial"))}
                want = {mod.output_name(p, fmt, bool(mode)) + ("" if "corrupt" not in p else ".partial")
                        for p in paths if mod.shard_of(p, 3) == k - 1}
                check(written == want, "--shard %d/3 writes the captures of share %d (%d)" % (k, k, len(want)))
                union |= written
            check(len(union) == n_caps, "the three shares cover the %d captures" % n_caps)
            merged = os.path.join(root, "merged%s.%s" % ("".join(mode), fmt))
            rc, _, err = annotate("--merge", d, "-o", merged)
            want_rc, want, want_failed = ref[(tuple(mode), fmt)]
            label = "%s %s" % ("summary" if mode else "segments", fmt)
            check(read(merged) == want, "--out-dir x3 shares + --merge = one run (%s, %d bytes)" % (label, len(want)))
            check(rc == want_rc and failed_lines(err) == want_failed,
                  "--merge exit status %d and FAILED lines as one run (%s)" % (rc, label))
            corrupt = [mod.shard_of(p, 3) for p in paths if "corrupt" in p][0]
            check(codes == [1 if k == corrupt else 0 for k in range(3)],
                  "the share holding the corrupt capture exits 1, the others 0: %s" % codes)

        # 3. Resume: delete one output, leave a half-written one; only that capture is done again.
        d = os.path.join(root, "out--summary-csv")
        victim = sorted(f for f in os.listdir(d) if f.endswith(".summary.csv"))[0]
        os.unlink(os.path.join(d, victim))
        with open(os.path.join(d, victim + ".tmp-99999"), "w") as fh:
            fh.write("file,stream\nhalf")
        rc, _, err = run([ANNOTATE, "-j", "2", "--summary", "--out-dir", d, fleet])
        check("%d of %d captures already done" % (n_caps - 2, n_caps) in err,
              "rerun: skips the complete outputs (%s)" % err.strip().splitlines()[:1])
        check(os.path.exists(os.path.join(d, victim)), "rerun: the deleted output is written again")
        rc, _, _ = annotate("--merge", d, "-o", os.path.join(root, "resumed.csv"))
        check(read(os.path.join(root, "resumed.csv")) == ref[(("--summary",), "csv")][1], "after the rerun, --merge = one run")

        # 4. GNU parallel, local workers.
        if check(shutil.which("parallel") is not None, "GNU parallel installed (scripts/setup --fleet)"):
            d = os.path.join(root, "parallel")
            rc, _, err = run(["parallel", "--will-cite", "-j", "2", ANNOTATE, "-q", "-j", "1", "--summary",
                              "--out-dir", d, "--shard", "{}/3", fleet, ":::", "1", "2", "3"])
            check(rc == 1, "parallel: exit status 1 (one job failed: the corrupt capture), got %d" % rc)
            rc, _, _ = annotate("--merge", d, "-o", os.path.join(root, "parallel.csv"))
            check(read(os.path.join(root, "parallel.csv")) == ref[(("--summary",), "csv")][1],
                  "parallel -j 2 over --shard {}/3, then --merge = one run")

        # 5. The Slurm job array script, run as Slurm runs each array task (ids 1-3).
        d = os.path.join(root, "slurm")
        for task in (1, 2, 3):
            env = dict(os.environ, SLURM_ARRAY_TASK_ID=str(task), SLURM_ARRAY_TASK_MIN="1",
                       SLURM_ARRAY_TASK_COUNT="3", SLURM_CPUS_PER_TASK="1", TCPSTATE_ANNOTATE=ANNOTATE)
            rc, out, err = run([SLURM, d, "--summary", fleet], env=env)
            check(rc in (0, 1) and "task %d of 3" % task in out, "Slurm task %d ran its share (%s)" % (task, out.strip()))
        rc, _, _ = annotate("--merge", d, "-o", os.path.join(root, "slurm.csv"))
        check(read(os.path.join(root, "slurm.csv")) == ref[(("--summary",), "csv")][1], "Slurm array + --merge = one run")
        rc, _, err = run([SLURM, d, fleet], env=dict(os.environ, SLURM_ARRAY_TASK_ID=""))
        check(rc != 0, "the Slurm script refuses to run outside an array task")

        # 6. Errors.
        d = os.path.join(root, "out--summary-csv")
        gone = sorted(f for f in os.listdir(d) if f.endswith(".summary.csv"))[0]
        os.unlink(os.path.join(d, gone))
        rc, _, err = annotate("--merge", d, "-o", os.path.join(root, "incomplete.csv"))
        check(rc == 1 and "no output for" in err, "--merge with an output missing: exit 1, named (%s)" % err.strip()[:120])
        rc, _, err = annotate("--out-dir", d, fleet)  # per-segment mode into a summary folder
        check(rc == 2 and "another run" in err, "--out-dir into another run's folder: exit 2 (%s)" % err.strip()[:120])

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all fleet checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
