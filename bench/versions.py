"""The TLS and HTTP libraries a figure was measured with: printed next to every figure, since
the TLS cost differs between OpenSSL 3.0 (Debian 12) and 3.5 (Debian 13)."""
import re
import subprocess


def library_versions(prober):
    """"libcurl/7.88.1 OpenSSL/3.0.19" from `prober --version`."""
    out = subprocess.run([prober, "--version"], capture_output=True, text=True).stdout
    found = [m for m in re.findall(r"(libcurl/\S+|OpenSSL/\S+)", out)]
    return " ".join(found) or "unknown"
