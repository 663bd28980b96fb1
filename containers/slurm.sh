#!/bin/bash
# Slurm job template for giantatom. Copy it, set the #SBATCH lines and CASE, then: sbatch slurm.sh
#
# At the time limit Slurm sends SIGTERM: giantatom stops on every rank with exit code 143 and
# removes the run it was writing (README "Usage", exit codes). A sweep then resumes where it
# stopped: submit again with RESUME=1 (finished members are kept, the others run).
#
# A sweep as a job array, one member per array task, each its own MPI job (README "Sweeps on a
# cluster"); then gather the members' numbers into sweep.csv, sweep.json and sweep.png:
#   jid=$(sbatch --parsable --array=1-12 --export=ALL,CASE=sweep.toml,OUT=results/sweep,MODE=array slurm.sh)
#   sbatch --dependency=afterany:$jid --export=ALL,OUT=results/sweep,MODE=gather slurm.sh
#
# One MPI rank per core; giantatom needs no threads (gmsh meshes on rank 0 while the other ranks
# sleep; [mesh] threads = N lets it use N cores there). Memory: about 2 GB per million
# dofs in total (rank 0 also holds gmsh's mesh; summary.json, run.memory, has the peak per rank).
#
#SBATCH --job-name=giantatom
#SBATCH --nodes=1                 # one node: mpirun inside the container is enough (variant A)
#SBATCH --ntasks-per-node=64      # MPI ranks per node: the cores of one node
#SBATCH --cpus-per-task=1
#SBATCH --mem=0                   # all of the node's memory (or e.g. --mem-per-cpu=3G)
#SBATCH --time=02:00:00           # wall-clock limit, HH:MM:SS
#SBATCH --output=%x-%j.out        # log: job name and id
##SBATCH --partition=compute      # site-specific: partition, account, QOS
##SBATCH --account=myproject

set -euo pipefail

CASE=${CASE:-case.toml}                    # the case file (sbatch --export=CASE=big.toml ...)
OUT=${OUT:-results/${SLURM_JOB_NAME}-${SLURM_JOB_ID}}
SIF=${SIF:-$HOME/giantatom.sif}            # apptainer build giantatom.sif containers/giantatom.def
VENV=${VENV:-$HOME/giantatom/.venv}        # or a venv made by `make venv`
MODE=${MODE:-apptainer}                    # apptainer | apptainer-host-mpi | venv | array | gather
RESUME=${RESUME:-0}                        # 1: a sweep keeps the members that finished before
EXTRA=()
if [ "$RESUME" = 1 ]; then EXTRA+=(--resume); fi

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

# Optional: mesh once and reuse the mesh (any number of ranks can read it):
#   giantatom mesh "$CASE" --out mesh/   then in the case file: [mesh] file = "mesh/mesh.xdmf"

case "$MODE" in
  apptainer)
    # A: the container's own MPICH starts the ranks; single node only.
    apptainer exec --bind "$PWD" "$SIF" \
      mpirun -n "$SLURM_NTASKS" giantatom run "$CASE" --out "$OUT" ${EXTRA[@]+"${EXTRA[@]}"}
    ;;
  apptainer-host-mpi)
    # B: Slurm starts the ranks (several nodes), each one inside the container. Needs a host MPI
    # that is ABI-compatible with the container's MPICH (MPICH, Intel MPI, Cray MPICH, MVAPICH)
    # and a PMI that both speak; on Cray systems bind the host MPI libraries into the container.
    srun --mpi=pmi2 apptainer exec --bind "$PWD" "$SIF" giantatom run "$CASE" --out "$OUT" ${EXTRA[@]+"${EXTRA[@]}"}
    ;;
  venv)
    # C: no container; `make venv` on the cluster (the PyPI wheel brings its own MPICH, which
    # launches on one node; across nodes build DOLFINx against the site MPI with Spack instead).
    "$VENV/bin/mpirun" -n "$SLURM_NTASKS" "$VENV/bin/giantatom" run "$CASE" --out "$OUT" ${EXTRA[@]+"${EXTRA[@]}"}
    ;;
  array)
    # One sweep member per array task: --member alone reads $SLURM_ARRAY_TASK_ID. OUT must be
    # the same for every task (the sweep's folder), so set it; don't use the job id in it.
    apptainer exec --bind "$PWD" "$SIF" \
      mpirun -n "$SLURM_NTASKS" giantatom run "$CASE" --out "$OUT" --member
    ;;
  gather)
    # After the array (--dependency=afterany): sweep.csv, sweep.json, sweep.png; exit 6 lists
    # the members that did not finish (rerun them with --member N, or all with RESUME=1).
    apptainer exec --bind "$PWD" "$SIF" giantatom gather "$OUT"
    ;;
  *)
    echo "MODE must be apptainer, apptainer-host-mpi, venv, array or gather, not $MODE" >&2
    exit 2
    ;;
esac
