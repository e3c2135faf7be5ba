"""Test certificates made with the openssl command line at test time: a private root and
intermediate, and leaves that are valid, expired, not yet valid, for the wrong host, self-signed,
expiring soon, too weak, or named by their Common Name only (no subjectAltName); client
certificates."""
import datetime
import os
import subprocess

CA_CONFIG = """
[ca]
default_ca = lab
[lab]
database = {dir}/index.txt
serial = {dir}/serial
new_certs_dir = {dir}/issued
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
[root_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[intermediate_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = caIssuers;URI:$ENV::LAB_AIA
subjectAltName = $ENV::LAB_SAN
[leaf_nosan_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = $ENV::LAB_SAN
"""


def _run(*argv, env=None):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def _stamp(when):
    return when.strftime("%Y%m%d%H%M%SZ")


class CertFactory:
    def __init__(self, directory, aia_base="http://127.0.0.1:9"):
        """Leaves name their issuer at AIA_BASE/ISSUER.der; every CA is also written there as DER."""
        self.dir = directory
        self.aia_base = aia_base
        os.makedirs(os.path.join(directory, "issued"), exist_ok=True)
        open(os.path.join(directory, "index.txt"), "w").close()
        with open(os.path.join(directory, "serial"), "w") as f:
            f.write("1000\n")
        self.config = os.path.join(directory, "ca.cnf")
        with open(self.config, "w") as f:
            f.write(CA_CONFIG.format(dir=directory))
        self.root = self._self_signed("root", "Prober Test Root", "root_ext")
        self.intermediate = self.issue("intermediate", "Prober Test Intermediate", issuer=self.root,
                                       extensions="intermediate_ext")
        self.other_root = self._self_signed("other-root", "Unknown Test Root", "root_ext")

    def path(self, name):
        return os.path.join(self.dir, name)

    def _key(self, name, key="ec"):
        argv = ["openssl", "genpkey", "-out", self.path(name + ".key")]
        argv += ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"] if key == "ec" else \
                ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:" + key[3:]]
        _run(*argv)
        return self.path(name + ".key")

    def _self_signed(self, name, cn, extensions, san="DNS:localhost"):
        key = self._key(name)
        env = dict(os.environ, LAB_SAN=san, LAB_AIA=f"{self.aia_base}/{name}.der")
        _run("openssl", "req", "-x509", "-new", "-key", key, "-subj", "/CN=" + cn, "-days", "3650",
             "-config", self.config, "-extensions", extensions, "-out", self.path(name + ".pem"), env=env)
        self._der(name)
        return name

    def _der(self, name):
        _run("openssl", "x509", "-in", self.path(name + ".pem"), "-outform", "DER", "-out", self.path(name + ".der"))

    def self_signed_leaf(self, name):
        return self._self_signed(name, "localhost", "leaf_ext", "DNS:localhost,IP:127.0.0.1,IP:::1")

    def issue(self, name, cn, issuer, extensions="leaf_ext", san="DNS:localhost,IP:127.0.0.1,IP:::1",
              not_before=None, not_after=None, key="ec", aia=None):
        now = datetime.datetime.now(datetime.timezone.utc)
        not_before = not_before or now - datetime.timedelta(days=1)
        not_after = not_after or now + datetime.timedelta(days=365)
        self._key(name, key)
        env = dict(os.environ, LAB_SAN=san, LAB_AIA=aia or f"{self.aia_base}/{issuer}.der")
        _run("openssl", "req", "-new", "-key", self.path(name + ".key"), "-subj", "/CN=" + cn,
             "-out", self.path(name + ".csr"), "-config", self.config, env=env)
        _run("openssl", "ca", "-batch", "-config", self.config, "-notext",
             "-cert", self.path(issuer + ".pem"), "-keyfile", self.path(issuer + ".key"),
             "-startdate", _stamp(not_before), "-enddate", _stamp(not_after),
             "-extensions", extensions, "-in", self.path(name + ".csr"), "-out", self.path(name + ".pem"),
             env=env)
        self._der(name)
        return name

    def bundle(self, name, *parts):
        """A PEM file of several certificates in order (leaf first), as nginx serves them."""
        with open(self.path(name + ".chain.pem"), "w") as out:
            for part in parts:
                with open(self.path(part + ".pem")) as f:
                    out.write(f.read())
        return self.path(name + ".chain.pem")
