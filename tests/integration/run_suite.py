"""Runs one integration suite for ctest. A suite whose tests all passed but some were skipped
(no network namespaces, not root, a missing package) prints PROBER-SUITE-SKIPPED with the
reasons, which ctest's SKIP_REGULAR_EXPRESSION turns into "Skipped" in its summary: a skip is
said, never passed silently. A failure is a failure whatever was skipped; a suite that ran no
test fails."""
import sys
import unittest


def main():
    name = sys.argv[1]
    suite = unittest.defaultTestLoader.loadTestsFromName(name)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    if not result.wasSuccessful():
        return 1
    if result.testsRun == 0:
        print(f"{name}: ran no test")
        return 1
    if result.skipped:
        for test, reason in result.skipped:
            print(f"skipped {test.id()}: {reason}")
        print(f"PROBER-SUITE-SKIPPED {name}: {len(result.skipped)} of {result.testsRun} tests skipped (reasons above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
