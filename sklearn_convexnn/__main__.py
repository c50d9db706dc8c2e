"""Demo: ``python -m sklearn_convexnn [--output demo.png] [--seeds 8]``.

Fits a 1-D teaching problem to its global optimum with every activation pattern, prints the
certificate, trains MLPRegressor on the same objective from several seeds (none can end below
the convex optimum), and saves a figure of the fitted function with its kinks.
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv=None):
    """Run the demo; return the process exit code (non-zero if a check fails)."""
    parser = argparse.ArgumentParser(prog="python -m sklearn_convexnn", description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="demo.png", help="where to save the figure (default: demo.png)")
    parser.add_argument("--seeds", type=int, default=8, help="MLPRegressor runs from different seeds (default: 8)")
    parser.add_argument("--samples", type=int, default=16, help="number of training points (default: 16)")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import ConvexReLURegressor
    from .datasets import make_teaching_1d
    from .nonconvex import fit_mlp
    from .plotting import OKABE_ITO, plot_network_1d

    data = make_teaching_1d(args.samples, random_state=0)
    start = time.perf_counter()
    model = ConvexReLURegressor(beta=data.beta, patterns="exact").fit(data.X, data.y)
    elapsed = time.perf_counter() - start
    print(f"Data: {data.description} n={len(data.y)}, beta={data.beta}")
    print(f"Convex program: {model.arrangement_.n_patterns} activation patterns (all of them: "
          f"{model.arrangement_.exhaustive}), solved by {model.solver_} in {elapsed:.2f} s")
    print(f"  global optimum   F* = {model.objective_:.8f}")
    print(f"  duality gap         = {model.duality_gap_:.2e}")
    print(f"  neurons             = {model.n_neurons_}")

    width = max(2 * model.n_neurons_, len(data.y) + 1)
    print(f"MLPRegressor (L-BFGS, same objective, width {width}) from {args.seeds} seeds:")
    runs = [fit_mlp(data.X, data.y, data.beta, width, random_state=seed) for seed in range(args.seeds)]
    below = []
    for seed, run in enumerate(runs):
        excess = run.objective - model.objective_
        print(f"  seed {seed}: F = {run.objective:.8f}  (F - F* = {excess:+.2e})")
        if excess < -1e-6 * max(1.0, model.objective_):
            below.append(seed)

    ax = plot_network_1d(model.network_, data.X, data.y, label=f"convex optimum, F*={model.objective_:.4f}",
                         title="Global optimum from the convex program (dashed: one neuron each)")
    best = min(runs, key=lambda run: run.objective)
    grid = ax.get_lines()[0].get_xdata()
    ax.plot(grid, best.network.predict(grid[:, None]), color=OKABE_ITO[3], lw=1.4, ls=":",
            label=f"best MLPRegressor, F={best.objective:.4f}")
    ax.legend(loc="best", fontsize="small")
    ax.figure.savefig(args.output, dpi=120)
    plt.close(ax.figure)
    print(f"Figure saved to {args.output}")
    if below:
        print(f"ERROR: MLPRegressor runs {below} ended below the certified optimum.", file=sys.stderr)
        return 1
    print("No MLPRegressor run went below the certified global optimum.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
