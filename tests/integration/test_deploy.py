"""The deployment files: Kubernetes manifests valid and in step with their template."""
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from lab import PROBER  # noqa: F401  (also puts tests/support on the path)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


class KubernetesManifests(unittest.TestCase):
    def test_manifests_pass_the_offline_schema_and_cross_checks(self):
        out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "validate-k8s.py"), PROBER],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("9 objects in deploy/k8s: OK", out.stdout)

    def test_region_files_are_generated_from_the_template(self):
        work = tempfile.mkdtemp(prefix="prober-k8s-")
        self.addCleanup(shutil.rmtree, work, True)
        shutil.copytree(os.path.join(ROOT, "deploy"), os.path.join(work, "deploy"))
        shutil.copytree(os.path.join(ROOT, "tools"), os.path.join(work, "tools"))
        subprocess.run(["sh", os.path.join(work, "tools", "k8s-regions.sh"), "prober:0.1.0", "2",
                        "ap-northeast-1", "eu-west-1", "us-east-1"], check=True, capture_output=True)
        for region in ("ap-northeast-1", "eu-west-1", "us-east-1"):
            name = f"region-{region}.yaml"
            self.assertTrue(filecmp.cmp(os.path.join(work, "deploy", "k8s", name),
                                        os.path.join(ROOT, "deploy", "k8s", name), shallow=False), name)


class Dockerfile(unittest.TestCase):
    def test_every_folder_the_build_compiles_is_copied_into_the_image(self):
        """A source folder added to CMakeLists.txt and forgotten in the Dockerfile breaks the image."""
        import re
        with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
            cmake = f.read()
        with open(os.path.join(ROOT, "Dockerfile")) as f:
            copied = set(re.findall(r"^COPY (\S+) \1$", f.read(), re.M))
        compiled = set(re.findall(r"^\s+([a-z_]+)/[a-z_]+\.(?:cpp|proto)\b", cmake, re.M))
        self.assertTrue(compiled >= {"checks", "diagnostics", "prober"}, compiled)
        self.assertEqual(compiled - copied, set())


class KubernetesHardening(unittest.TestCase):
    def test_each_missing_hardening_setting_is_reported(self):
        """The validator is shown to fail on each of the settings it requires, one at a time."""
        mutations = {
            "runAsNonRoot: true,": ("runAsNonRoot: false,", "runAsNonRoot: true"),
            "seccompProfile: {type: RuntimeDefault}": ("seccompProfile: {type: Unconfined}", "RuntimeDefault"),
            "allowPrivilegeEscalation: false": ("allowPrivilegeEscalation: true", "allowPrivilegeEscalation: false"),
            "readOnlyRootFilesystem: true": ("readOnlyRootFilesystem: false", "readOnlyRootFilesystem: true"),
            "capabilities: {drop: [ALL]}": ("capabilities: {drop: [NET_RAW]}", "drop every capability"),
        }
        for original, (broken, complaint) in mutations.items():
            with self.subTest(setting=original):
                work = tempfile.mkdtemp(prefix="prober-k8s-hardening-")
                self.addCleanup(shutil.rmtree, work, True)
                shutil.copytree(os.path.join(ROOT, "deploy"), os.path.join(work, "deploy"))
                shutil.copytree(os.path.join(ROOT, "tools"), os.path.join(work, "tools"))
                path = os.path.join(work, "deploy", "k8s", "region-eu-west-1.yaml")
                text = open(path).read()
                self.assertIn(original, text)
                open(path, "w").write(text.replace(original, broken))
                out = subprocess.run([sys.executable, os.path.join(work, "tools", "validate-k8s.py"), PROBER],
                                     capture_output=True, text=True)
                self.assertEqual(out.returncode, 1, out.stdout)
                self.assertIn(complaint, out.stdout)
