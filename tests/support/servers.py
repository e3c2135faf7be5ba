"""Real servers configured by the test: nginx (HTTP and HTTPS scenarios), dnsmasq (an
authoritative-style loopback DNS) and unbound (a recursive resolver, for SERVFAIL)."""
import os
import shutil
import socket

from lab_process import Child, free_port, wait_for_log, wait_for_tcp

NGINX_MAIN = """
daemon off;
master_process on;
worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
worker_rlimit_nofile 16384;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp-body;
  proxy_temp_path {dir}/tmp-proxy;
  fastcgi_temp_path {dir}/tmp-fastcgi;
  uwsgi_temp_path {dir}/tmp-uwsgi;
  scgi_temp_path {dir}/tmp-scgi;
  default_type text/html;
{servers}
}}
"""

HTTP_LOCATIONS = """
    root {dir}/www;
    location = /ok {{ return 200 "Welcome to the test shop\\n"; }}
    location = /versioned {{ add_header X-Version 1.2 always; return 200 "versioned\\n"; }}
    location = /unavailable {{ return 503 "down for maintenance\\n"; }}
    location = /challenge {{ add_header cf-mitigated challenge always; add_header Server cloudflare always;
                             return 403 "Just a moment...\\n"; }}
    location = /ratelimited {{ add_header Retry-After 30 always; return 429 "slow down\\n"; }}
    location = /moved {{ return 301 /ok; }}
    location = /botwall {{ if ($http_user_agent !~* "Mozilla/") {{ return 403 "Access denied\n"; }}
                           return 200 "Welcome to the test shop\n"; }}
    location = /loop/a {{ return 302 /loop/b; }}
    location = /loop/b {{ return 302 /loop/a; }}
    location ~ ^/hop/(x*)$ {{ return 302 /hop/$1x; }}
    location = /huge {{ alias {dir}/www/huge.bin; }}
    location = /whoami {{ return 200 "$scheme $server_protocol $http_host\n"; }}
"""


class Nginx:
    """One nginx serving every scenario, each on its own port."""

    def __init__(self, directory, certs, aia_port=None):
        self.dir = directory
        os.makedirs(os.path.join(directory, "www"), exist_ok=True)
        with open(os.path.join(directory, "www", "huge.bin"), "wb") as f:
            f.truncate(1 << 30)  # 1 GiB, sparse: costs no disk
        with open(os.path.join(directory, "www", "medium.bin"), "wb") as f:
            f.write(os.urandom(3_000_000))  # many TLS records, more than any socket buffer
        self.ports = {}
        servers = []

        def server(name, listen, body):
            port = free_port()
            self.ports[name] = port
            listens = "".join(f"    listen {address}:{port}{listen};\n" for address in ("127.0.0.1",))
            servers.append("  server {\n    server_name localhost;\n" + listens + body + "  }\n")

        locations = HTTP_LOCATIONS.format(dir=directory)
        server("http", "", locations)
        if aia_port:
            # The CAs' certificates as DER, where the leaves' AIA URLs point (browsers fetch them).
            self.ports["aia"] = aia_port
            servers.append(f"  server {{\n    listen 127.0.0.1:{aia_port};\n    root {certs.dir};\n"
                           "    types { application/pkix-cert der; }\n  }\n")

        def tls(name, chain, key, extra="", http2=True):
            server(name, " ssl http2" if http2 else " ssl",
                   f"    ssl_certificate {chain};\n    ssl_certificate_key {key};\n{extra}" + locations)

        c = certs
        # /downgrade: an https page that redirects to plain http.
        tls("valid", c.bundle("valid", "valid", "intermediate"), c.path("valid.key"),
            f"    location = /downgrade {{ return 301 http://localhost:{self.ports['http']}/ok; }}\n")
        tls("expired", c.bundle("expired", "expired", "intermediate"), c.path("expired.key"))
        tls("not_yet_valid", c.bundle("future", "future", "intermediate"), c.path("future.key"))
        tls("wrong_host", c.bundle("wrong", "wrong", "intermediate"), c.path("wrong.key"))
        tls("self_signed", c.path("selfsigned.pem"), c.path("selfsigned.key"))
        tls("no_intermediate", c.path("valid.pem"), c.path("valid.key"))
        tls("unknown_root", c.bundle("stranger", "stranger", "other-root"), c.path("stranger.key"))
        tls("expiring", c.bundle("expiring", "expiring", "intermediate"), c.path("expiring.key"))
        tls("weak", c.bundle("weak", "weak", "intermediate"), c.path("weak.key"))
        tls("wrong_no_intermediate", c.path("wrong.pem"), c.path("wrong.key"))
        # RSA key transport and a CBC cipher: a handshake that works and that browsers flag.
        tls("old_cipher", c.bundle("rsa", "rsa", "intermediate"), c.path("rsa.key"),
            "    ssl_protocols TLSv1.2;\n    ssl_ciphers AES128-SHA;\n")
        tls("expired_intermediate", c.bundle("under_old", "under_old", "old_intermediate"), c.path("under_old.key"))
        tls("stranger_direct", c.path("stranger_direct.pem"), c.path("stranger_direct.key"))
        tls("dead_aia", c.path("dead_aia.pem"), c.path("dead_aia.key"))
        tls("cn_only", c.bundle("cn_only", "cn_only", "intermediate"), c.path("cn_only.key"))
        # Asks for a client certificate and, like nginx does, answers 400 without one.
        tls("client_cert_nginx", c.bundle("valid", "valid", "intermediate"), c.path("valid.key"),
            f"    ssl_verify_client on;\n    ssl_client_certificate {c.path('root.pem')};\n"
            "    ssl_verify_depth 2;\n")
        tls("tls12_and_13", c.bundle("valid", "valid", "intermediate"), c.path("valid.key"),
            "    ssl_protocols TLSv1.2 TLSv1.3;\n")
        tls("tls13_only", c.bundle("valid", "valid", "intermediate"), c.path("valid.key"),
            "    ssl_protocols TLSv1.3;\n")
        tls("http1_only", c.bundle("valid", "valid", "intermediate"), c.path("valid.key"), http2=False)
        tls("x25519_only", c.bundle("valid", "valid", "intermediate"), c.path("valid.key"), "    ssl_ecdh_curve X25519;\n")
        tls("sites", c.bundle("sites", "sites", "intermediate"), c.path("sites.key"), "    ssl_protocols TLSv1.3;\n")
        user = "user root root;" if os.geteuid() == 0 else ""
        conf = os.path.join(directory, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_MAIN.format(dir=directory, user=user, servers="".join(servers)))
        # The weak certificate must load: the server side runs at OpenSSL security level 0.
        openssl_conf = os.path.join(directory, "openssl-server.cnf")
        with open(openssl_conf, "w") as f:
            f.write("openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = defaults\n"
                    "[defaults]\nCipherString = DEFAULT:@SECLEVEL=0\n")
        env = dict(os.environ, OPENSSL_CONF=openssl_conf)
        self.child = Child([shutil.which("nginx") or "/usr/sbin/nginx", "-p", directory, "-c", conf,
                            "-e", os.path.join(directory, "error.log")],
                           os.path.join(directory, "nginx.out"), env=env)
        for port in self.ports.values():
            wait_for_tcp("127.0.0.1", port, process=self.child.process)

    def stop(self):
        self.child.stop()


class Dnsmasq:
    """Answers for *.test names from its command line; nothing is forwarded anywhere."""

    def __init__(self, directory, records=True):
        self.port = free_port(kind=socket.SOCK_DGRAM)
        big = os.path.join(directory, "big.hosts")
        with open(big, "w") as f:
            for i in range(1000):
                f.write(f"127.1.{i // 250}.{i % 250 + 1} big.test\n")
        argv = [shutil.which("dnsmasq") or "/usr/sbin/dnsmasq", "--keep-in-foreground", "--no-resolv",
                "--no-hosts", "--port", str(self.port), "--listen-address", "127.0.0.1",
                "--bind-interfaces", "--pid-file=", "--log-facility=" + os.path.join(directory, "dnsmasq.log")]
        # Without records it has nothing to answer and no upstream: it REFUSES every query.
        records_argv = ["--local=/test/",
                "--address=/nx.test/",
                "--address=/sites.test/127.0.0.1",
                "--host-record=v4only.test,127.0.0.1",
                "--host-record=dual.test,127.0.0.1,::1",
                "--host-record=multi.test,127.0.0.1",
                "--host-record=multi.test,127.0.0.2",
                "--host-record=many.test,127.0.0.1,::1",
                "--mx-host=mx.test,mail.test,10",
                "--txt-record=txt.test,v=spf1 -all",
                "--srv-host=_http._tcp.srv.test,web.test,80,1,2",
                "--cname=alias.test,v4only.test",
                "--ptr-record=1.0.0.127.in-addr.arpa,v4only.test",
                "--dns-rr=caa.test,257,000569737375656C657473656E63727970742E6F7267",
                "--addn-hosts=" + big]
        # A name with more addresses than ip_version each probes (41; the answer needs TCP).
        records_argv += ["--host-record=many.test,127.0.0.%d" % i for i in range(2, 41)]
        if records:
            argv += records_argv
        if os.geteuid() == 0:
            argv += ["--user=root", "--group=root"]
        log = os.path.join(directory, f"dnsmasq-{self.port}.log")
        argv = [a if not a.startswith("--log-facility=") else "--log-facility=" + log for a in argv]
        self.child = Child(argv, os.path.join(directory, f"dnsmasq-{self.port}.out"))
        wait_for_tcp("127.0.0.1", self.port, process=self.child.process)
        if records:
            # The port opens before the hosts file is read: wait for dnsmasq to say it read it.
            wait_for_log(log, "read " + big, process=self.child.process)
        self.server = f"127.0.0.1:{self.port}"

    def stop(self):
        self.child.stop()


UNBOUND_CONF = """
server:
  interface: 127.0.0.1
  port: {port}
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "{dir}"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  so-reuseport: no
  outgoing-interface: 127.0.0.1
  local-zone: "test." nodefault
stub-zone:
  name: "lame.test"
  stub-addr: 127.0.0.1@{lame_port}
"""


class Unbound:
    """A recursive resolver whose only authority for lame.test refuses it: SERVFAIL, as in life."""

    def __init__(self, directory, lame_port):
        self.port = free_port(kind=socket.SOCK_DGRAM)
        conf = os.path.join(directory, "unbound.conf")
        with open(conf, "w") as f:
            f.write(UNBOUND_CONF.format(port=self.port, dir=directory, lame_port=lame_port))
        self.child = Child([shutil.which("unbound") or "/usr/sbin/unbound", "-d", "-c", conf],
                           os.path.join(directory, "unbound.out"))
        wait_for_tcp("127.0.0.1", self.port, process=self.child.process)
        self.server = f"127.0.0.1:{self.port}"

    def stop(self):
        self.child.stop()
