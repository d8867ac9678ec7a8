"""The verifier benchmark: `python -m benchmarks.verifier --help` (the code lives in
`evals.verifier`, so the gate suite can run it too)."""

from evals.verifier import main

if __name__ == "__main__":
    raise SystemExit(main())
