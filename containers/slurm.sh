#!/bin/bash
# Slurm job template for giantatom. Copy it, set the #SBATCH lines and CASE, then: sbatch slurm.sh
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
MODE=${MODE:-apptainer}                    # apptainer | apptainer-host-mpi | venv

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

# Optional: mesh once and reuse the mesh (any number of ranks can read it):
#   giantatom mesh "$CASE" --out mesh/   then in the case file: [mesh] file = "mesh/mesh.xdmf"

case "$MODE" in
  apptainer)
    # A: the container's own MPICH starts the ranks; single node only.
    apptainer exec --bind "$PWD" "$SIF" \
      mpirun -n "$SLURM_NTASKS" giantatom run "$CASE" --out "$OUT"
    ;;
  apptainer-host-mpi)
    # B: Slurm starts the ranks (several nodes), each one inside the container. Needs a host MPI
    # that is ABI-compatible with the container's MPICH (MPICH, Intel MPI, Cray MPICH, MVAPICH)
    # and a PMI that both speak; on Cray systems bind the host MPI libraries into the container.
    srun --mpi=pmi2 apptainer exec --bind "$PWD" "$SIF" giantatom run "$CASE" --out "$OUT"
    ;;
  venv)
    # C: no container; `make venv` on the cluster (the PyPI wheel brings its own MPICH, which
    # launches on one node; across nodes build DOLFINx against the site MPI with Spack instead).
    "$VENV/bin/mpirun" -n "$SLURM_NTASKS" "$VENV/bin/giantatom" run "$CASE" --out "$OUT"
    ;;
  *)
    echo "MODE must be apptainer, apptainer-host-mpi or venv, not $MODE" >&2
    exit 2
    ;;
esac
