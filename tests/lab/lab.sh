#!/usr/bin/env bash
# swarmdeck test lab: a real HA Docker Swarm on one Linux host.
#
# Every node is a real dockerd (Debian's docker.io) in its own network
# namespace and UTS namespace (hostname nodeN), attached with a veth to one
# Linux bridge in the root namespace. keepalived runs on every node and holds
# a VRRP virtual IP. Nothing leaves the lab: the node namespaces have no
# default route, dockerd runs with --iptables=false --ip-forward=false and the
# host gets iptables rules that drop anything forwarded into or out of the lab
# bridge (and accept traffic between its ports, whatever the FORWARD policy).
#
# See docs/lab.md for the full description. Run `lab.sh help` for usage.
set -euo pipefail

PROG=${0##*/}
LAB_NAME=${SWARMDECK_LAB:-sdlab}
if [[ ! $LAB_NAME =~ ^[a-z0-9]{1,8}$ ]]; then
	printf '%s: error: SWARMDECK_LAB must match [a-z0-9]{1,8}, got %q\n' "$PROG" "$LAB_NAME" >&2
	exit 2
fi

readonly BASE_DIR=/var/lib/swarmdeck-lab
readonly STATE="$BASE_DIR/$LAB_NAME"
readonly LAB_ENV="$STATE/lab.env"
readonly TLS_DIR="$STATE/tls"
readonly SSH_DIR="$STATE/ssh"
readonly PREFIX=198.51.100
readonly HOST_IP="$PREFIX.1"
readonly VIP="$PREFIX.100"
readonly BRIDGE="$LAB_NAME-br"
readonly IMAGE=swarmdeck/busybox:lab
readonly IPT_COMMENT="swarmdeck-lab:$LAB_NAME"
readonly CG_REL="swarmdeck-lab/$LAB_NAME"
# The private registry's packages: the distribution registry, htpasswd (bcrypt), curl (checks)
readonly REG_PACKAGES=(docker-registry apache2-utils curl)
readonly PACKAGES=(docker.io keepalived busybox-static iproute2 iptables openssl openssh-server openssh-client
	"${REG_PACKAGES[@]}")
# Every dockerd also listens on tcp://NODE:2376 with mutual TLS, for the DOCKER_HOST=tcp://
# + DOCKER_TLS_VERIFY path; the client files are in $TLS_DIR/client (DOCKER_CERT_PATH).
readonly TLS_PORT=2376
# Every node also runs an sshd (root, the lab's key only) whose sessions get the node's socket
# as DOCKER_HOST, so ssh://root@NODE reaches that node's engine as on a real manager. The
# client side: $SSH_DIR/ssh_config, or the `ssh` wrapper in $SSH_DIR/bin that uses it.
# The lab's private registry: Debian's docker-registry in its own network namespace on the
# bridge, at REG_ADDR, with the lab CA's TLS and basic auth (htpasswd, bcrypt) for one user
# whose password is in $REG_DIR/password (0600; `lab.sh registry password`). The nodes' dockerds
# trust it through /etc/docker/certs.d/REG_ADDR/ca.crt, which dockerd reads at every login and
# pull: no daemon flag, no restart. The workload image is pushed there as REG_IMAGE and no node
# keeps it under that name, so a pull of REG_IMAGE needs the credentials.
readonly REG_IP="$PREFIX.5"
readonly REG_ADDR="$REG_IP:5000"
readonly REG_NS="$LAB_NAME-reg"
readonly REG_VETH="$LAB_NAME-vr"
readonly REG_DIR="$STATE/registry"
readonly REG_USER=swarmdeck
readonly REG_IMAGE="$REG_ADDR/$IMAGE"
readonly REG_CERTS_D="/etc/docker/certs.d/$REG_ADDR"
# Swarm dispatcher heartbeat: 2s (Docker's default is 5s) so a dead node is
# reported Down ~20s after a kill instead of ~45s. Override: SWARMDECK_LAB_HEARTBEAT=5s
readonly HEARTBEAT=${SWARMDECK_LAB_HEARTBEAT:-2s}
# Generous upper bounds; every wait polls the real state and returns as soon as it holds.
readonly T_DOCKERD=90 T_SWARM=120 T_VIP=30 T_KILL=15

# The Debian docker CLI matches the Debian daemon; fall back to whatever is on PATH.
if [[ -x /usr/bin/docker ]]; then DOCKER_BIN=/usr/bin/docker; else DOCKER_BIN=docker; fi

# --------------------------------------------------------------------------
# small helpers

log() { printf '[lab %s %s] %s\n' "$LAB_NAME" "$(date +%T)" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}

# wait_for SECONDS DESCRIPTION CMD...: poll CMD until it succeeds or the deadline passes.
wait_for() {
	local secs=$1 desc=$2
	shift 2
	local deadline=$((SECONDS + secs))
	until "$@"; do
		if ((SECONDS >= deadline)); then
			warn "timed out after ${secs}s waiting for: $desc"
			return 1
		fi
		sleep 0.2
	done
}

need_root() {
	[[ $EUID -eq 0 ]] || die "must run as root (network namespaces, cgroups, dockerd)"
}

# Mutating commands are serialised with a lock per lab instance, not on this script file:
# `swarmdeck lab …` runs a fresh copy of the embedded script each time, and it must wait for
# tests/lab/lab.sh (and the other way round).
take_lock() {
	mkdir -p /run/lock
	exec 9>>"/run/lock/swarmdeck-lab-${LAB_NAME}.lock"
	if ! flock -w 600 9; then
		die "could not take the lab lock within 600s"
	fi
}

node_dir() { printf '%s/node%s' "$STATE" "$1"; }
node_ns() { printf '%s-node%s' "$LAB_NAME" "$1"; }
node_veth() { printf '%s-v%s' "$LAB_NAME" "$1"; }
node_ip() { printf '%s.%s' "$PREFIX" "$((10 + $1))"; }
node_sock() { printf '%s/docker.sock' "$(node_dir "$1")"; }
node_host() { printf 'unix://%s' "$(node_sock "$1")"; }

# ldocker I ARGS...: the docker CLI against node I, with a bounded run time.
ldocker() {
	local i=$1
	shift
	env -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH \
		timeout "${LDOCKER_TIMEOUT:-60}" "$DOCKER_BIN" -H "$(node_host "$i")" "$@"
}

# ------------------------------------------------------------------ cgroups
# Each node runs in its own cgroup v2 directory <root>/swarmdeck-lab/NAME/nodeI
# with the leaves daemon/ (dockerd, containerd, shims, containers) and
# keepalived/. `kill` writes 1 to nodeI/cgroup.kill. Containers also get
# --cgroup-parent=/swarmdeck-lab/NAME/nodeI so on a pure cgroup v2 host they
# land under the node's directory, on a hybrid host their v1 cgroups are
# named after the node and are easy to find and remove.

cg2_root() {
	if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
		printf '/sys/fs/cgroup'
	elif [[ -f /sys/fs/cgroup/unified/cgroup.controllers ]]; then
		printf '/sys/fs/cgroup/unified'
	fi
}
CG2=$(cg2_root)

cg_node() { if [[ -n $CG2 ]]; then printf '%s/%s/node%s' "$CG2" "$CG_REL" "$1"; fi; }

# cg_enter DIR: move the calling (sub)shell into cgroup DIR, if cgroup v2 is there.
cg_enter() {
	local dir=$1
	[[ -n $CG2 ]] || return 0
	mkdir -p "$dir"
	echo "$BASHPID" >"$dir/cgroup.procs"
}

# pids of processes in any cgroup (v1 or v2) below swarmdeck-lab/NAME[/SUB]
cg_pids() {
	local sub=${1:-}
	local re="/$CG_REL(/|\$)"
	[[ -n $sub ]] && re="/$CG_REL/$sub(/|\$)"
	local f
	grep -l -a -E -e "$re" /proc/[0-9]*/cgroup 2>/dev/null |
		while IFS= read -r f; do
			f=${f#/proc/}
			printf '%s\n' "${f%%/*}"
		done || true
}

# remove every cgroup directory of this lab (v1 and v2 hierarchies)
cg_cleanup() {
	local d
	for d in /sys/fs/cgroup/"$CG_REL" /sys/fs/cgroup/*/"$CG_REL"; do
		[[ -d $d ]] || continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
		rmdir "${d%/*}" 2>/dev/null || true
	done
}

# ------------------------------------------------------------------ lab env

LAB_MANAGERS=0
LAB_WORKERS=0
load_env() {
	[[ -f $LAB_ENV ]] || return 1
	local k v
	while IFS='=' read -r k v; do
		case $k in
		LAB_MANAGERS) LAB_MANAGERS=$v ;;
		LAB_WORKERS) LAB_WORKERS=$v ;;
		esac
	done <"$LAB_ENV"
	[[ $LAB_MANAGERS =~ ^[0-9]+$ && $LAB_WORKERS =~ ^[0-9]+$ ]] || return 1
	((LAB_MANAGERS >= 1))
}
total_nodes() { echo $((LAB_MANAGERS + LAB_WORKERS)); }
node_role() { if (($1 <= LAB_MANAGERS)); then echo manager; else echo worker; fi; }

# lab_exists: state recorded and the bridge is there
lab_exists() { load_env && ip link show "$BRIDGE" >/dev/null 2>&1; }

# resolve_node ARG -> index (accepts nodeI or I)
resolve_node() {
	local arg=${1:-}
	[[ -n $arg ]] || die "missing NODE argument (node1, node2, ...)"
	lab_exists || die "lab '$LAB_NAME' is not up (run: $PROG up)"
	local i=${arg#node}
	[[ $i =~ ^[1-9][0-9]*$ ]] || die "bad node name '$arg' (expected node1, node2, ...)"
	((i <= $(total_nodes))) || die "no such node '$arg' (lab has $(total_nodes) nodes)"
	echo "$i"
}

# ------------------------------------------------------------------ packages

# ensure_packages [PACKAGE...]: install what is missing of them (default: all of PACKAGES)
ensure_packages() {
	local missing=() p want=("$@")
	((${#want[@]})) || want=("${PACKAGES[@]}")
	for p in "${want[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	for p in nsenter unshare flock timeout; do
		command -v "$p" >/dev/null || die "missing $p (util-linux / coreutils)"
	done
	((${#missing[@]} == 0)) && return 0
	log "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# The packages' own services (a host dockerd with its NAT rules, a host
	# keepalived) must not start: deny service starts while installing.
	local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# temporary, swarmdeck lab.sh\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		made_policy=1
	fi
	if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
		apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2 || rc=1
	fi
	((made_policy)) && rm -f "$policy"
	((rc == 0)) || die "could not install: ${missing[*]}"
}

# ------------------------------------------------------------------ processes

# ancestors of this shell (never killed by down/kill)
self_pids() {
	local p=$BASHPID
	printf '%s\n' "$$"
	while [[ -n $p && $p != 0 ]]; do
		printf '%s\n' "$p"
		p=$(awk '/^PPid:/{print $2}' "/proc/$p/status" 2>/dev/null || true)
	done
}

# pids whose command line contains STRING. The pattern is handed to grep
# through a file so that grep's own command line does not match it.
pids_cmdline_with() {
	local f
	grep -l -a -F -f <(printf '%s\n' "$1") /proc/[0-9]*/cmdline 2>/dev/null |
		while IFS= read -r f; do
			f=${f#/proc/}
			printf '%s\n' "${f%%/*}"
		done || true
}

# net namespace inodes of the lab's namespaces
lab_netns_inodes() {
	local f
	for f in /run/netns/"$LAB_NAME"-node* "/run/netns/$REG_NS"; do
		[[ -e $f ]] || continue
		stat -L -c '%i' "$f" 2>/dev/null || true
	done
}

# every process that belongs to the lab: cgroup members, processes whose
# command line mentions the state dir, processes inside the lab's netns.
lab_pids() {
	{
		cg_pids
		pids_cmdline_with "$STATE/"
		local inodes
		inodes=$(lab_netns_inodes | paste -sd'|')
		if [[ -n $inodes ]]; then
			find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' -printf '%h %l\n' 2>/dev/null |
				awk -v re="^net:\\[($inodes)\\]$" '$2 ~ re { split($1, a, "/"); print a[3] }' || true
		fi
	} | sort -un | grep -vxF -f <(self_pids) | only_running || true
}

# processes of one node: its cgroups, plus its daemons found by command line
# (only daemon binaries: a client such as swarmdeck pointed at the node's
# socket must survive a node kill).
node_pids() {
	local i=$1 p comm
	{
		cg_pids "node$i"
		while IFS= read -r p; do
			comm=$(cat "/proc/$p/comm" 2>/dev/null || true)
			case $comm in
			dockerd | containerd* | runc | keepalived | sshd | docker-proxy | docker-init) echo "$p" ;;
			esac
		done < <(pids_cmdline_with "$(node_dir "$i")/")
	} | sort -un | grep -vxF -f <(self_pids) | only_running || true
}

# kill_pids_until_gone SECONDS PID-PRODUCING-FUNCTION [ARGS]
kill_until_gone() {
	local secs=$1
	shift
	local deadline=$((SECONDS + secs)) pids
	while :; do
		pids=$("$@")
		[[ -z $pids ]] && return 0
		# shellcheck disable=SC2086
		kill -9 $pids 2>/dev/null || true
		if ((SECONDS >= deadline)); then
			warn "processes still alive after ${secs}s: $(echo "$pids" | paste -sd' ')"
			return 1
		fi
		sleep 0.1
	done
}

# pid alive and not a zombie
pid_running() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
	[[ -n $st && $st != Z ]]
}
pid_gone() { ! pid_running "$1"; }

# drop zombies (already dead, waiting for their parent) from a pid list on stdin
only_running() {
	local p
	while IFS= read -r p; do
		pid_running "$p" && echo "$p"
	done
	true
}

pid_alive_as() { # PIDFILE COMM
	local pid
	pid=$(cat "$1" 2>/dev/null || true)
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ $(cat "/proc/$pid/comm" 2>/dev/null || true) == "$2" ]] && pid_running "$pid"
}

# ------------------------------------------------------------------ network

setup_bridge() {
	ip link add "$BRIDGE" type bridge
	ip link set "$BRIDGE" type bridge stp_state 0 forward_delay 0 mcast_snooping 0 2>/dev/null || true
	sysctl -qw "net.ipv6.conf.$BRIDGE.disable_ipv6=1" 2>/dev/null || true
	ip addr add "$HOST_IP/24" dev "$BRIDGE"
	ip link set "$BRIDGE" up
	# Never forward lab traffic anywhere but the lab bridge; accept on the
	# bridge itself (bridged frames traverse FORWARD with br_netfilter).
	iptables -w -I FORWARD 1 -i "$BRIDGE" ! -o "$BRIDGE" -j DROP -m comment --comment "$IPT_COMMENT"
	iptables -w -I FORWARD 1 -o "$BRIDGE" ! -i "$BRIDGE" -j DROP -m comment --comment "$IPT_COMMENT"
	iptables -w -I FORWARD 1 -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT -m comment --comment "$IPT_COMMENT"
}

setup_node_net() {
	local i=$1 ns veth
	ns=$(node_ns "$i")
	veth=$(node_veth "$i")
	ip netns add "$ns"
	ip link add "$veth" type veth peer name eth0 netns "$ns"
	sysctl -qw "net.ipv6.conf.$veth.disable_ipv6=1" 2>/dev/null || true
	ip link set "$veth" master "$BRIDGE" up
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
	ip -n "$ns" link set eth0 address "02:5d:00:00:00:$(printf '%02x' "$((10 + i))")"
	ip -n "$ns" addr add "$(node_ip "$i")/24" dev eth0
	ip -n "$ns" link set eth0 up
	# Deliberately no default route: nothing inside a node can reach past the lab.

	# A persistent UTS namespace (bind-mounted on nodeI/uts) with hostname
	# nodeI: dockerd and keepalived run in it, `exec` enters it, and it
	# survives `kill` like the network namespace does.
	local uts
	uts="$(node_dir "$i")/uts"
	: >"$uts"
	unshare --uts="$uts" hostname "node$i"
}

link_state() { # up|down, seen from the host side of the node's veth
	local st
	st=$(cat "/sys/class/net/$(node_veth "$1")/operstate" 2>/dev/null || echo down)
	[[ $st == up ]] && echo up || echo down
}

vip_on_node() {
	ip -n "$(node_ns "$1")" -4 -o addr show dev eth0 2>/dev/null | grep -qF " $VIP/"
}

# ------------------------------------------------------------------ dockerd

dockerd_args() {
	local i=$1 nd
	nd=$(node_dir "$i")
	printf '%s\n' \
		--config-file="$nd/daemon.json" \
		--data-root="$nd/data" \
		--exec-root="$nd/exec" \
		--pidfile="$nd/dockerd.pid" \
		-H "$(node_host "$i")" \
		-H "tcp://0.0.0.0:$TLS_PORT" \
		--tlsverify \
		--tlscacert="$TLS_DIR/ca.pem" \
		--tlscert="$TLS_DIR/server-cert.pem" \
		--tlskey="$TLS_DIR/server-key.pem" \
		--bridge=none \
		--iptables=false \
		--ip6tables=false \
		--ip-forward=false \
		--ip-masq=false \
		--exec-opt=native.cgroupdriver=cgroupfs \
		--cgroup-parent="/$CG_REL/node$i" \
		--swarm-default-advertise-addr="$(node_ip "$i")" \
		--log-level=info
}

# make_tls: a lab CA, one server certificate for every node address and the VIP, and a
# client certificate in $TLS_DIR/client laid out as DOCKER_CERT_PATH expects.
make_tls() {
	local n=$1 i san="IP:127.0.0.1,IP:$VIP,DNS:localhost"
	for ((i = 1; i <= n; i++)); do san+=",IP:$(node_ip "$i"),DNS:node$i"; done
	rm -rf "$TLS_DIR"
	mkdir -p "$TLS_DIR/client"
	(
		cd "$TLS_DIR" || exit 1
		umask 077
		local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
		openssl req -x509 "${ec[@]}" -keyout ca-key.pem -out ca.pem -days 3650 \
			-subj "/CN=swarmdeck lab $LAB_NAME CA" &&
			openssl req "${ec[@]}" -keyout server-key.pem -out server.csr -subj "/CN=swarmdeck-lab" &&
			printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san" >server.ext &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
				-days 3650 -extfile server.ext -out server-cert.pem &&
			openssl req "${ec[@]}" -keyout client/key.pem -out client.csr -subj "/CN=swarmdeck-client" &&
			printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >client.ext &&
			openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
				-days 3650 -extfile client.ext -out client/cert.pem &&
			cp ca.pem client/ca.pem
	) >"$STATE/tls.log" 2>&1 || die "could not make the lab's TLS certificates (see $STATE/tls.log)"
	chmod 0755 "$TLS_DIR" "$TLS_DIR/client"
}

# make_ssh: host and client keys, sshd_config for the nodes' sshd, and the client config
# (known host key pinned, the lab's identity) with an `ssh` wrapper that uses it.
make_ssh() {
	rm -rf "$SSH_DIR"
	mkdir -p "$SSH_DIR/bin"
	ssh-keygen -q -t ed25519 -N '' -C "swarmdeck lab $LAB_NAME host" -f "$SSH_DIR/host_ed25519" &&
		ssh-keygen -q -t ed25519 -N '' -C "swarmdeck lab $LAB_NAME client" -f "$SSH_DIR/client_ed25519" ||
		die "could not make the lab's ssh keys"
	cp "$SSH_DIR/client_ed25519.pub" "$SSH_DIR/authorized_keys"
	printf '%s.* %s\n' "$PREFIX" "$(cut -d' ' -f1-2 "$SSH_DIR/host_ed25519.pub")" >"$SSH_DIR/known_hosts"
	# Without PAM, sshd refuses a locked account ("!" in shadow) even with a key; with PAM it
	# does not. PAM only when root is locked, so the fewest host modules are involved.
	local use_pam=no
	[[ $(getent shadow root | cut -d: -f2) == '!'* ]] && use_pam=yes
	cat >"$SSH_DIR/sshd_config" <<-EOF
		# swarmdeck lab: sshd of every node (ListenAddress, PidFile and SetEnv are per node)
		Port 22
		HostKey $SSH_DIR/host_ed25519
		AuthorizedKeysFile $SSH_DIR/authorized_keys
		PermitRootLogin prohibit-password
		AllowUsers root
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM $use_pam
		StrictModes no
		PrintMotd no
		PermitUserEnvironment no
		AllowTcpForwarding no
		X11Forwarding no
	EOF
	cat >"$SSH_DIR/ssh_config" <<-EOF
		# swarmdeck lab: ssh -F $SSH_DIR/ssh_config root@198.51.100.11
		Host $PREFIX.*
		  User root
		  IdentityFile $SSH_DIR/client_ed25519
		  IdentitiesOnly yes
		  UserKnownHostsFile $SSH_DIR/known_hosts
		  StrictHostKeyChecking yes
		  BatchMode yes
		  ConnectTimeout 5
	EOF
	printf '#!/bin/sh\n# the lab'"'"'s ssh client settings, for tools that run plain `ssh`\nexec /usr/bin/ssh -F %s "$@"\n' \
		"$SSH_DIR/ssh_config" >"$SSH_DIR/bin/ssh"
	chmod 0755 "$SSH_DIR" "$SSH_DIR/bin" "$SSH_DIR/bin/ssh"
}

sshd_alive() { pid_alive_as "$(node_dir "$1")/sshd.pid" sshd; }

start_sshd() {
	local i=$1 nd ns
	nd=$(node_dir "$i")
	ns=$(node_ns "$i")
	sshd_alive "$i" && return 0
	# sshd's privilege separation directory, as the openssh-server package makes it
	mkdir -p /run/sshd
	chmod 0755 /run/sshd
	rm -f "$nd/sshd.pid"
	printf '\n==== %s starting sshd (node%s) ====\n' "$(date -Is)" "$i" >>"$nd/sshd.log"
	(
		cg_enter "$(cg_node "$i")/sshd"
		exec setsid nsenter --uts="$nd/uts" --net="/run/netns/$ns" -- \
			env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			/usr/sbin/sshd -D -e -f "$SSH_DIR/sshd_config" \
			-o ListenAddress=0.0.0.0 \
			-o "PidFile=$nd/sshd.pid" \
			-o "SetEnv=DOCKER_HOST=$(node_host "$i")"
	) </dev/null >>"$nd/sshd.log" 2>&1 9>&- &
	wait_for 15 "sshd on node$i" sshd_alive "$i"
}

dockerd_up() { LDOCKER_TIMEOUT=5 ldocker "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_dockerd() {
	local i=$1 nd ns
	nd=$(node_dir "$i")
	ns=$(node_ns "$i")
	mkdir -p "$nd/data" "$nd/exec"
	# Own config file, so a host /etc/docker/daemon.json never applies; own
	# key.json (the engine ID) instead of the shared /etc/docker/key.json.
	printf '{\n  "deprecated-key-path": "%s/key.json"\n}\n' "$nd" >"$nd/daemon.json"
	# Stale files from a killed daemon would make the new one believe its
	# containerd is still running (pid reuse) or refuse the pidfile.
	rm -f "$nd/dockerd.pid" "$nd/exec/containerd/containerd.pid" "$(node_sock "$i")"
	local -a args
	mapfile -t args < <(dockerd_args "$i")
	printf '\n==== %s starting dockerd (node%s) ====\n' "$(date -Is)" "$i" >>"$nd/dockerd.log"
	(
		cg_enter "$(cg_node "$i")/daemon"
		# nsenter (not `ip netns exec`, which remounts /sys) keeps the host's
		# cgroup mounts visible to dockerd.
		exec setsid nsenter --uts="$nd/uts" --net="/run/netns/$ns" -- \
			env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			dockerd "${args[@]}"
	) </dev/null >>"$nd/dockerd.log" 2>&1 9>&- &
	echo "$!" >"$nd/launcher.pid"
}


# dockerd_wait I: wait for node I's dockerd to answer; fail early if it died.
dockerd_wait() {
	local i=$1 nd pid deadline=$((SECONDS + T_DOCKERD))
	nd=$(node_dir "$i")
	pid=$(cat "$nd/launcher.pid" 2>/dev/null || true)
	until dockerd_up "$i"; do
		if [[ -n $pid ]] && ! pid_running "$pid" && ! pid_alive_as "$nd/dockerd.pid" dockerd; then
			warn "dockerd on node$i exited; tail of $nd/dockerd.log:"
			tail -n 15 "$nd/dockerd.log" >&2
			return 1
		fi
		if ((SECONDS >= deadline)); then
			warn "timed out after ${T_DOCKERD}s waiting for dockerd on node$i; tail of $nd/dockerd.log:"
			tail -n 15 "$nd/dockerd.log" >&2
			return 1
		fi
		sleep 0.2
	done
}

# ------------------------------------------------------------------ keepalived

# 150, 140, ... 20 for node1..node14, then 19, 18, ... (always 1..254, descending)
keepalived_priority() { if (($1 <= 14)); then echo $((160 - 10 * $1)); else echo $((34 - $1)); fi; }

write_keepalived_conf() {
	local i=$1 nd state=BACKUP
	nd=$(node_dir "$i")
	((i == 1)) && state=MASTER
	cat >"$nd/keepalived-notify.sh" <<EOF
#!/bin/sh
# keepalived notify_fifo_script for node$i of swarmdeck lab '$LAB_NAME'.
# keepalived passes the FIFO as the last argument and writes one line per
# event to it, e.g.: INSTANCE "VI_1" MASTER 150
# Reading the FIFO serially keeps the recorded state in event order.
for fifo; do :; done
state_file='$nd/keepalived.state'
while read -r kind name state prio; do
	[ "\$kind" = INSTANCE ] || continue
	printf '%s\n' "\$state" >"\$state_file.tmp" && mv -f "\$state_file.tmp" "\$state_file"
done <"\$fifo"
EOF
	chmod 0755 "$nd/keepalived-notify.sh"
	cat >"$nd/keepalived.conf" <<EOF
! Configuration File for keepalived
! swarmdeck lab '$LAB_NAME', node$i (generated by tests/lab/lab.sh)
!
! node1 is the preferred holder of the swarm VIP; the others back it up in
! priority order. Preemption is on: the VIP returns to node1 when it is back.

global_defs {
    router_id node$i
    enable_script_security
    script_user root
    vrrp_garp_master_delay 1
    vrrp_garp_master_repeat 3
    notify_fifo $nd/keepalived.fifo
    notify_fifo_script $nd/keepalived-notify.sh
}

vrrp_instance VI_1 {
    state $state
    interface eth0
    virtual_router_id 51
    priority $(keepalived_priority "$i")
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass swarmdk
    }
    virtual_ipaddress {
        $VIP/24 dev eth0
    }
}
EOF
}

keepalived_alive() { pid_alive_as "$(node_dir "$1")/keepalived.pid" keepalived; }

keepalived_state() {
	local i=$1 st
	if ! keepalived_alive "$i"; then
		echo stopped
		return
	fi
	st=$(cat "$(node_dir "$i")/keepalived.state" 2>/dev/null || true)
	case $st in
	MASTER | BACKUP | FAULT) echo "$st" ;;
	*) echo unknown ;;
	esac
}

start_keepalived() {
	local i=$1 nd ns
	nd=$(node_dir "$i")
	ns=$(node_ns "$i")
	keepalived_alive "$i" && return 0
	[[ -f $nd/keepalived.conf ]] || write_keepalived_conf "$i"
	rm -f "$nd/keepalived.pid" "$nd/keepalived-vrrp.pid" "$nd/keepalived-checkers.pid" \
		"$nd/keepalived.state" "$nd/keepalived.fifo"
	printf '\n==== %s starting keepalived (node%s) ====\n' "$(date -Is)" "$i" >>"$nd/keepalived.log"
	(
		cg_enter "$(cg_node "$i")/keepalived"
		exec setsid nsenter --uts="$nd/uts" --net="/run/netns/$ns" -- \
			keepalived --dont-fork --log-console --log-detail --no-syslog --vrrp \
			--use-file="$nd/keepalived.conf" \
			--pid="$nd/keepalived.pid" \
			--vrrp_pid="$nd/keepalived-vrrp.pid" \
			--checkers_pid="$nd/keepalived-checkers.pid"
	) </dev/null >>"$nd/keepalived.log" 2>&1 9>&- &
	wait_for 15 "keepalived on node$i" keepalived_alive "$i"
}

stop_keepalived() {
	local i=$1 nd pid
	nd=$(node_dir "$i")
	if keepalived_alive "$i"; then
		pid=$(cat "$nd/keepalived.pid")
		kill -TERM "$pid" 2>/dev/null || true
		# keepalived drops the VIP and sends a priority-0 advert on SIGTERM
		wait_for 10 "keepalived on node$i to stop" pid_gone "$pid" || true
	fi
	local cg
	cg=$(cg_node "$i")
	if [[ -n $cg && -f $cg/keepalived/cgroup.kill ]]; then
		echo 1 >"$cg/keepalived/cgroup.kill" 2>/dev/null || true
	fi
	# fallback: keepalived processes of this node found by command line
	kill_until_gone 5 keepalived_pids "$i" || true
}

keepalived_pids() {
	local p
	while IFS= read -r p; do
		[[ $(cat "/proc/$p/comm" 2>/dev/null || true) == keepalived ]] && echo "$p"
	done < <(pids_cmdline_with "$(node_dir "$1")/keepalived.conf")
	true
}

# ------------------------------------------------------------------ swarm

build_image() {
	local tmp root a
	tmp=$(mktemp -d "$STATE/image.XXXXXX")
	root="$tmp/rootfs"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,www,proc,sys,dev}
	chmod 1777 "$root/tmp"
	cp /bin/busybox "$root/bin/busybox"
	while IFS= read -r a; do
		[[ $a == busybox || -e $root/bin/$a ]] || ln -s busybox "$root/bin/$a"
	done < <(/bin/busybox --list)
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	printf '<h1>swarmdeck lab</h1>\n' >"$root/www/index.html"
	tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$tmp/rootfs.tar" .
	ldocker 1 import \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["/bin/busybox","sleep","infinity"]' \
		--change 'LABEL org.opencontainers.image.title=swarmdeck-lab-busybox' \
		--message 'swarmdeck lab workload image (busybox-static)' \
		"$tmp/rootfs.tar" "$IMAGE" >/dev/null
	ldocker 1 save -o "$STATE/image.tar" "$IMAGE"
	rm -rf "$tmp"
}

image_on_node() { ldocker "$1" image inspect "$IMAGE" >/dev/null 2>&1; }

load_image() { # I: make sure node I has the workload image
	local i=$1
	image_on_node "$i" && return 0
	[[ -f $STATE/image.tar ]] || build_image
	image_on_node "$i" || ldocker "$i" load -q -i "$STATE/image.tar" >/dev/null
}

# print "hostname status availability managerstatus" per swarm node, asking a
# manager that answers.
swarm_nodes() {
	local i
	for ((i = 1; i <= LAB_MANAGERS; i++)); do
		if ldocker "$i" node ls --format '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}' 2>/dev/null; then
			return 0
		fi
	done
	return 1
}

swarm_healthy() {
	local out
	out=$(swarm_nodes) || return 1
	local want_mgr=$LAB_MANAGERS want_wrk=$LAB_WORKERS
	local mgr wrk leader total
	total=$(grep -c . <<<"$out" || true)
	mgr=$(awk '$2 == "Ready" && ($4 == "Leader" || $4 == "Reachable")' <<<"$out" | grep -c . || true)
	leader=$(awk '$4 == "Leader"' <<<"$out" | grep -c . || true)
	wrk=$(awk '$2 == "Ready" && $4 == ""' <<<"$out" | grep -c . || true)
	((total == want_mgr + want_wrk && mgr == want_mgr && wrk == want_wrk && leader == 1))
}

all_dockerd_up() {
	local i
	for ((i = 1; i <= $(total_nodes); i++)); do dockerd_up "$i" || return 1; done
}

all_images() {
	local i
	for ((i = 1; i <= $(total_nodes); i++)); do image_on_node "$i" || return 1; done
}

# node1 is MASTER and the only holder of the VIP
vip_ok() {
	[[ $(keepalived_state 1) == MASTER ]] && vip_on_node 1 || return 1
	local i
	for ((i = 2; i <= $(total_nodes); i++)); do
		vip_on_node "$i" && return 1
	done
	return 0
}

all_links_up() {
	local i
	for ((i = 1; i <= $(total_nodes); i++)); do [[ $(link_state "$i") == up ]] || return 1; done
}

all_sshd_up() {
	local i
	for ((i = 1; i <= $(total_nodes); i++)); do sshd_alive "$i" || return 1; done
}

all_nodes_alive() {
	local i
	all_links_up && all_dockerd_up || return 1
	for ((i = 1; i <= $(total_nodes); i++)); do
		keepalived_alive "$i" && sshd_alive "$i" || return 1
	done
}

lab_healthy() {
	lab_exists && [[ -s $TLS_DIR/client/cert.pem && -s $SSH_DIR/ssh_config ]] && all_links_up &&
		all_dockerd_up && all_sshd_up &&
		swarm_healthy && vip_ok && all_images
}

# Managers listen on 0.0.0.0:2377 (Docker's default), so the manager port also answers on
# the VIP, as in real HA setups where nodes join through the VIP.
init_swarm() {
	local i mtoken wtoken
	ldocker 1 swarm init --advertise-addr "$(node_ip 1)" --listen-addr 0.0.0.0:2377 \
		--dispatcher-heartbeat "$HEARTBEAT" >/dev/null
	mtoken=$(ldocker 1 swarm join-token -q manager)
	wtoken=$(ldocker 1 swarm join-token -q worker)
	# managers one at a time (each join grows the raft quorum)
	for ((i = 2; i <= LAB_MANAGERS; i++)); do
		log "node$i joins as manager"
		ldocker "$i" swarm join --token "$mtoken" --advertise-addr "$(node_ip "$i")" \
			--listen-addr 0.0.0.0:2377 "$(node_ip 1):2377" >/dev/null
	done
	local pids=()
	for ((i = LAB_MANAGERS + 1; i <= $(total_nodes); i++)); do
		log "node$i joins as worker"
		ldocker "$i" swarm join --token "$wtoken" --advertise-addr "$(node_ip "$i")" \
			--listen-addr 0.0.0.0:2377 "$(node_ip 1):2377" >/dev/null &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do wait "$i"; done
}

# ------------------------------------------------------------------ demo workload
# What `swarmdeck demo` shows: a few services from the lab's image, each with the service
# label (and container label) swarmdeck.demo=true, so they can be found and removed.

readonly DEMO_LABEL=swarmdeck.demo=true
readonly DEMO_SERVICES=(demo-web demo-agent demo-migrate demo-pinned demo-crashy)

# demo_manager: the index of the first manager that answers as one (node ls needs a manager
# of a swarm with quorum, as service create and rm do).
demo_manager() {
	local i
	for ((i = 1; i <= LAB_MANAGERS; i++)); do
		if LDOCKER_TIMEOUT=10 ldocker "$i" node ls -q >/dev/null 2>&1; then
			echo "$i"
			return 0
		fi
	done
	return 1
}

# demo_what NAME: what the newcomer sees of it, for the one line `workload` prints
demo_what() {
	case $1 in
	demo-web) echo "demo-web (3 replicas)" ;;
	demo-agent) echo "demo-agent (global)" ;;
	demo-migrate) echo "demo-migrate (job, 3 runs)" ;;
	demo-pinned) echo "demo-pinned (pending: no node fits)" ;;
	demo-crashy) echo "demo-crashy (crash loop)" ;;
	esac
}

# demo_create I NAME: create demo service NAME through manager I, without waiting for it
demo_create() {
	local i=$1 name=$2
	local -a args=(service create --detach --quiet --name "$name" --no-resolve-image
		--label "$DEMO_LABEL" --container-label "$DEMO_LABEL" --stop-grace-period 1s)
	case $name in
	demo-web)
		# busybox's wget segfaults in this static build: the health check asks with nc
		args+=(--replicas 3
			--health-cmd "printf 'GET / HTTP/1.0\r\n\r\n' | nc 127.0.0.1 8080 | grep -q '200 OK'"
			--health-interval 5s --health-timeout 3s --health-retries 3
			"$IMAGE" httpd -f -p 8080 -h /www) ;;
	demo-agent) args+=(--mode global "$IMAGE" sleep infinity) ;;
	demo-migrate)
		args+=(--mode replicated-job --replicas 3 --max-concurrent 1
			"$IMAGE" sh -c 'echo migrating; sleep 3; echo done') ;;
	demo-pinned) args+=(--replicas 1 --constraint node.labels.demo-gpu==true "$IMAGE" sleep infinity) ;;
	demo-crashy)
		args+=(--replicas 1 --restart-condition any --restart-delay 3s
			"$IMAGE" sh -c 'echo starting; sleep 4; echo "out of coffee" >&2; exit 1') ;;
	*) die "no demo service '$name'" ;;
	esac
	ldocker "$i" "${args[@]}" >/dev/null
}

# demo_label I NAME: the swarmdeck.demo label of service NAME ("" if it has none); fails if
# there is no such service
demo_label() {
	ldocker "$1" service inspect --format "{{index .Spec.Labels \"${DEMO_LABEL%%=*}\"}}" "$2" 2>/dev/null
}

# list A B C -> "A, B, C"
comma_list() {
	local s
	s=$(printf '%s, ' "$@")
	printf '%s' "${s%, }"
}

cmd_workload() {
	(($# == 0)) || die "workload: unexpected argument '$1'"
	need_root
	lab_exists || die "lab '$LAB_NAME' is not up (run: $PROG up)"
	take_lock
	local m name label rc=0
	m=$(demo_manager) || die "no manager of the swarm answers (see: $PROG status)"
	local -a created=() there=() foreign=()
	for name in "${DEMO_SERVICES[@]}"; do
		if label=$(demo_label "$m" "$name"); then
			if [[ $label == "${DEMO_LABEL#*=}" ]]; then
				there+=("$name")
			else
				warn "a service '$name' that is not the demo's (no label $DEMO_LABEL) exists; left alone"
				foreign+=("$name")
			fi
		elif demo_create "$m" "$name"; then
			created+=("$(demo_what "$name")")
		else
			warn "could not create $name"
			rc=1
		fi
	done
	local line="demo workload:"
	if ((${#created[@]})); then
		line+=" created $(comma_list "${created[@]}")"
	else
		line+=" nothing to create"
	fi
	if ((${#there[@]})); then line+="; already there: $(comma_list "${there[@]}")"; fi
	if ((${#foreign[@]})); then line+="; left alone: $(comma_list "${foreign[@]}")"; fi
	echo "$line; remove: swarmdeck demo --clean or $PROG workload-rm"
	return "$rc"
}

# no running container of the demo on any node whose dockerd answers
demo_containers_gone() {
	local i
	for ((i = 1; i <= $(total_nodes); i++)); do
		dockerd_up "$i" || continue
		[[ -z $(ldocker "$i" ps -q --filter "label=$DEMO_LABEL" 2>/dev/null) ]] || return 1
	done
}

cmd_workload_rm() {
	(($# == 0)) || die "workload-rm: unexpected argument '$1'"
	need_root
	lab_exists || die "lab '$LAB_NAME' is not up: there is no demo workload to remove"
	take_lock
	local m
	m=$(demo_manager) || die "no manager of the swarm answers (see: $PROG status)"
	local out
	out=$(ldocker "$m" service ls --filter "label=$DEMO_LABEL" --format '{{.Name}}') ||
		die "could not list the demo's services"
	local -a names=()
	[[ -z $out ]] || mapfile -t names <<<"$out"
	if ((${#names[@]})); then
		ldocker "$m" service rm "${names[@]}" >/dev/null || die "could not remove: ${names[*]}"
	fi
	# quick (stop grace period 1s), and afterwards nothing of the demo runs
	wait_for 60 "the demo's containers to stop" demo_containers_gone || return 1
	if ((${#names[@]})); then
		echo "demo workload: removed ${names[*]}"
	else
		echo "demo workload: nothing to remove"
	fi
}

# ------------------------------------------------------------------ registry
# The private registry (see REG_* at the top): its own namespace on the bridge, the process in
# the cgroup <root>/swarmdeck-lab/NAME/registry, its files in $REG_DIR (0700).

# Password characters: symbols included, none that JSON, Go's JSON encoder (<, >, &), a curl
# config string or a shell word would have to escape.
readonly REG_PW_CHARS='A-Za-z0-9+/=@%:._~^!*#?-'
readonly REG_PW_LEN=20

reg_cg() { if [[ -n $CG2 ]]; then printf '%s/%s/registry' "$CG2" "$CG_REL"; fi; }

# registry_auth_json PASSWORD: the X-Registry-Auth document for the lab's user, as the docker
# CLI and bollard write it (compact, this key order).
registry_auth_json() {
	printf '{"username":"%s","password":"%s","serveraddress":"%s"}' "$REG_USER" "$1" "$REG_ADDR"
}

# registry_password_ok PASSWORD: the password is one a client must encode right: the STANDARD
# base64 of its X-Registry-Auth JSON has both `+` and `/` (which base64url writes `-` and `_`),
# so has that of `user:password` (config.json's `auth`), and it has symbols.
registry_password_ok() {
	local json auth
	json=$(registry_auth_json "$1" | base64 -w0)
	auth=$(printf '%s:%s' "$REG_USER" "$1" | base64 -w0)
	[[ ${#1} -eq $REG_PW_LEN && $1 == *[^A-Za-z0-9]* &&
		$json == *+* && $json == */* && $auth == *+* && $auth == */* ]]
}

registry_password() { cat "$REG_DIR/password" 2>/dev/null; }

# make_registry_password: a random password that passes registry_password_ok. For ASCII text,
# standard base64 writes `+` only for a `~` (or `>`) and `/` only for a `?` that is the third
# byte of a 3-byte group; `~?~?~?` puts both in that place whatever comes before it, so the
# password has it at a random place, whatever JSON (key order, fields) a client wraps it in.
make_registry_password() {
	local pw at
	pw=$(head -c 1024 /dev/urandom | LC_ALL=C tr -dc "$REG_PW_CHARS")
	pw=${pw:0:$((REG_PW_LEN - 6))}
	at=$((RANDOM % (${#pw} + 1)))
	pw="${pw:0:at}~?~?~?${pw:at}"
	registry_password_ok "$pw" || die "could not make a registry password"
	(
		umask 077
		printf '%s\n' "$pw" >"$REG_DIR/password.tmp"
	)
	mv -f "$REG_DIR/password.tmp" "$REG_DIR/password"
}

# the htpasswd file holds the user with the current password (bcrypt, what the registry reads)
registry_htpasswd_ok() {
	htpasswd -v -i "$REG_DIR/htpasswd" "$REG_USER" <"$REG_DIR/password" >/dev/null 2>&1
}

make_registry_htpasswd() {
	(
		umask 077
		htpasswd -c -B -i "$REG_DIR/htpasswd.tmp" "$REG_USER" <"$REG_DIR/password"
	) >/dev/null 2>&1 || die "htpasswd failed"
	mv -f "$REG_DIR/htpasswd.tmp" "$REG_DIR/htpasswd"
}

# the registry's server certificate, from the lab CA, for REG_IP
registry_cert_ok() {
	[[ -s $REG_DIR/server-key.pem ]] &&
		openssl verify -CAfile "$TLS_DIR/ca.pem" "$REG_DIR/server-cert.pem" >/dev/null 2>&1 &&
		openssl x509 -in "$REG_DIR/server-cert.pem" -noout -ext subjectAltName 2>/dev/null |
		grep -qF "IP Address:$REG_IP"
}

make_registry_cert() {
	[[ -s $TLS_DIR/ca.pem && -s $TLS_DIR/ca-key.pem ]] ||
		die "the lab CA is missing ($TLS_DIR); rebuild the lab: $PROG down && $PROG up"
	(
		cd "$REG_DIR" || exit 1
		umask 077
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout server-key.pem -out server.csr -subj "/CN=swarmdeck lab registry" &&
			printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
				"$REG_IP" >server.ext &&
			openssl x509 -req -in server.csr -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca-key.pem" \
				-CAserial ca.srl -CAcreateserial -days 3650 -extfile server.ext -out server-cert.pem
	) >"$REG_DIR/tls.log" 2>&1 || die "could not make the registry's certificate (see $REG_DIR/tls.log)"
}

write_registry_config() { # to stdout
	cat <<-EOF
		# swarmdeck lab '$LAB_NAME': the private registry (generated by tests/lab/lab.sh)
		version: 0.1
		log:
		  level: info
		  formatter: text
		  fields:
		    service: registry
		storage:
		  filesystem:
		    rootdirectory: $REG_DIR/data
		  delete:
		    enabled: true
		  maintenance:
		    uploadpurging:
		      enabled: false
		http:
		  addr: $REG_ADDR
		  secret: $(cat "$REG_DIR/http-secret")
		  tls:
		    certificate: $REG_DIR/server-cert.pem
		    key: $REG_DIR/server-key.pem
		  headers:
		    X-Content-Type-Options: [nosniff]
		auth:
		  htpasswd:
		    realm: swarmdeck-lab
		    path: $REG_DIR/htpasswd
	EOF
}

registry_net_ok() {
	ip -n "$REG_NS" -4 -o addr show dev eth0 2>/dev/null | grep -qF " $REG_IP/24 " &&
		ip -o link show "$REG_VETH" 2>/dev/null | grep -qF " master $BRIDGE " &&
		[[ $(cat "/sys/class/net/$REG_VETH/operstate" 2>/dev/null) == up ]]
}

registry_net_down() {
	if ip netns list 2>/dev/null | grep -qx "$REG_NS\( .*\)\?"; then
		timeout 10 ip netns del "$REG_NS" 2>/dev/null || true
	fi
	if ip link show "$REG_VETH" >/dev/null 2>&1; then
		timeout 10 ip link del "$REG_VETH" 2>/dev/null || true
	fi
}

# a host on the lab's bridge like the nodes: no default route, nothing past the lab
registry_net_up() {
	registry_net_down
	ip netns add "$REG_NS"
	ip link add "$REG_VETH" type veth peer name eth0 netns "$REG_NS"
	sysctl -qw "net.ipv6.conf.$REG_VETH.disable_ipv6=1" 2>/dev/null || true
	ip link set "$REG_VETH" master "$BRIDGE" up
	ip -n "$REG_NS" link set lo up
	ip netns exec "$REG_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
	ip -n "$REG_NS" link set eth0 address 02:5d:00:00:00:05
	ip -n "$REG_NS" addr add "$REG_IP/24" dev eth0
	ip -n "$REG_NS" link set eth0 up
}

registry_alive() { pid_alive_as "$REG_DIR/registry.pid" docker-registry; }

# reg_curl ARGS...: curl to the registry, trusting the lab CA only, never through a proxy
reg_curl() {
	curl -sS --noproxy '*' --connect-timeout 2 --max-time 5 --cacert "$TLS_DIR/ca.pem" "$@"
}

# the registry answers over TLS (verified with the lab CA) and wants credentials
registry_answers() {
	[[ $(reg_curl -o /dev/null -w '%{http_code}' "https://$REG_ADDR/v2/" 2>/dev/null) == 401 ]]
}

# reg_curl_auth ARGS...: the same with the lab user's credentials (given on stdin, as a curl
# config, so the password never is on a command line)
reg_curl_auth() {
	printf 'user = "%s:%s"\n' "$REG_USER" "$(registry_password)" | reg_curl -K - "$@"
}

# the workload image is in the registry under REG_IMAGE (a manifest for the tag)
registry_has_image() {
	local repo=${IMAGE%:*} tag=${IMAGE##*:}
	[[ $(reg_curl_auth -o /dev/null -w '%{http_code}' -I \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"https://$REG_ADDR/v2/$repo/manifests/$tag" 2>/dev/null) == 200 ]]
}

start_registry() {
	rm -f "$REG_DIR/registry.pid"
	printf '\n==== %s starting the registry ====\n' "$(date -Is)" >>"$REG_DIR/registry.log"
	(
		cg_enter "$(reg_cg)"
		exec setsid nsenter --net="/run/netns/$REG_NS" -- \
			env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			/usr/bin/docker-registry serve "$REG_DIR/config.yml"
	) </dev/null >>"$REG_DIR/registry.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo "$!" >"$REG_DIR/registry.pid"
	wait_for 15 "the registry process" registry_alive || return 1
	wait_for 30 "the registry to answer on https://$REG_ADDR/v2/" registry_answers || {
		tail -n 15 "$REG_DIR/registry.log" >&2
		return 1
	}
}

# every process of the registry: its cgroup, its command line, its network namespace
registry_pids() {
	{
		[[ -n $CG2 ]] && cg_pids registry
		pids_cmdline_with "$REG_DIR/"
		local inode
		inode=$(stat -L -c '%i' "/run/netns/$REG_NS" 2>/dev/null || true)
		if [[ -n $inode ]]; then
			find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' -printf '%h %l\n' 2>/dev/null |
				awk -v l="net:[$inode]" '$2 == l { split($1, a, "/"); print a[3] }' || true
		fi
	} | sort -un | grep -vxF -f <(self_pids) | only_running || true
}

stop_registry() {
	local cg rc=0
	cg=$(reg_cg)
	if [[ -n $cg && -f $cg/cgroup.kill ]]; then
		echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
	fi
	kill_until_gone "$T_KILL" registry_pids || rc=1
	[[ -n $cg && -d $cg ]] && { rmdir "$cg" 2>/dev/null || true; }
	return "$rc"
}

# registry_push: push the workload image from a node's engine, logged in with a docker config
# of its own (0700, removed afterwards), then untag it there.
registry_push() {
	local i src="" cfg rc=0
	for ((i = 1; i <= $(total_nodes); i++)); do
		if dockerd_up "$i" && image_on_node "$i"; then
			src=$i
			break
		fi
	done
	[[ -n $src ]] || {
		warn "no node has $IMAGE to push"
		return 1
	}
	cfg=$(mktemp -d "$REG_DIR/push.XXXXXX")
	# A config that already names the registry: the CLI keeps the credentials in this file
	# instead of looking for a credential helper of the host's.
	printf '{"auths":{"%s":{}}}\n' "$REG_ADDR" >"$cfg/config.json"
	if ! ldocker "$src" --config "$cfg" login --username "$REG_USER" --password-stdin "$REG_ADDR" \
		<"$REG_DIR/password" >>"$REG_DIR/push.log" 2>&1; then
		warn "docker login to $REG_ADDR from node$src failed (see $REG_DIR/push.log)"
		rc=1
	elif ! ldocker "$src" tag "$IMAGE" "$REG_IMAGE" ||
		! ldocker "$src" --config "$cfg" push "$REG_IMAGE" >>"$REG_DIR/push.log" 2>&1; then
		warn "pushing $REG_IMAGE from node$src failed (see $REG_DIR/push.log)"
		rc=1
	fi
	rm -rf "$cfg"
	return "$rc"
}

# registry_refs I: the references of node I's images that name the registry
registry_refs() {
	ldocker "$1" image ls --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}' 2>/dev/null |
		awk -v p="$REG_ADDR/" 'index($1, p) == 1 {
			if ($2 != "<none>") print $1 ":" $2
			if ($3 != "<none>") print $1 "@" $3
		}' || true
}

# registry_forget: no node whose dockerd answers holds an image under the registry's name, so
# the next task from REG_IMAGE pulls it (and needs the credentials). The image itself stays
# (it is also swarmdeck/busybox:lab); only these names go.
registry_forget() {
	local i r refs rc=0
	for ((i = 1; i <= $(total_nodes); i++)); do
		dockerd_up "$i" || continue
		refs=$(registry_refs "$i")
		[[ -n $refs ]] || continue
		while IFS= read -r r; do
			# removing the tag also drops the digest name of that repository: ignore "no such"
			ldocker "$i" rmi "$r" >/dev/null 2>&1 || true
		done <<<"$refs"
		refs=$(registry_refs "$i")
		if [[ -n $refs ]]; then
			warn "node$i still holds $(paste -sd' ' <<<"$refs") (in use?)"
			rc=1
		fi
	done
	return "$rc"
}

registry_up() {
	lab_exists || die "lab '$LAB_NAME' is not up (run: $PROG up)"
	ensure_packages "${REG_PACKAGES[@]}"
	mkdir -p "$REG_DIR/data"
	chmod 0700 "$REG_DIR"
	local restart=0
	if [[ ! -s $REG_DIR/password ]] || ! registry_password_ok "$(registry_password)"; then
		make_registry_password
	fi
	if [[ ! -s $REG_DIR/htpasswd ]] || ! registry_htpasswd_ok; then
		make_registry_htpasswd
		restart=1
	fi
	if ! registry_cert_ok; then
		make_registry_cert
		restart=1
	fi
	if [[ ! -s $REG_DIR/http-secret ]]; then
		(
			umask 077
			head -c 32 /dev/urandom | base64 -w0 >"$REG_DIR/http-secret"
		)
	fi
	write_registry_config >"$REG_DIR/config.yml.tmp"
	if cmp -s "$REG_DIR/config.yml.tmp" "$REG_DIR/config.yml"; then
		rm -f "$REG_DIR/config.yml.tmp"
	else
		mv -f "$REG_DIR/config.yml.tmp" "$REG_DIR/config.yml"
		restart=1
	fi
	if ! registry_net_ok; then
		log "registry: network namespace $REG_NS at $REG_IP"
		stop_registry || die "could not stop the old registry"
		registry_net_up
		restart=1
	fi
	# dockerd reads certs.d at each login and pull: trusting the registry needs no restart
	mkdir -p "$REG_CERTS_D"
	if ! cmp -s "$TLS_DIR/ca.pem" "$REG_CERTS_D/ca.crt"; then
		install -m 0644 "$TLS_DIR/ca.pem" "$REG_CERTS_D/ca.crt"
	fi
	if ((restart)) || ! registry_alive || ! registry_answers; then
		stop_registry || die "could not stop the old registry"
		log "registry: starting on https://$REG_ADDR"
		start_registry || die "the registry did not come up (see $REG_DIR/registry.log)"
	fi
	if ! registry_has_image; then
		log "registry: pushing $REG_IMAGE"
		registry_push || die "could not push $REG_IMAGE"
		registry_has_image || die "$REG_IMAGE is not in the registry after the push"
	fi
	registry_forget || die "a node still holds $REG_IMAGE under the registry's name"
}

# registry_down: the process, its namespace and link, certs.d, its files (the next `up` makes
# a new password and pushes again)
registry_down() {
	local rc=0
	stop_registry || rc=1
	registry_net_down
	rm -rf "$REG_CERTS_D"
	rmdir /etc/docker/certs.d 2>/dev/null || true
	rm -rf "$REG_DIR"
	if registry_debris; then
		warn "registry debris left behind:"
		registry_debris_report >&2
		rc=1
	fi
	return "$rc"
}

registry_debris() {
	[[ -e $REG_DIR || -e $REG_CERTS_D || -e /run/netns/$REG_NS ]] && return 0
	ip link show "$REG_VETH" >/dev/null 2>&1 && return 0
	[[ -n $(registry_pids) ]] && return 0
	local cg
	cg=$(reg_cg)
	[[ -n $cg && -d $cg ]]
}

registry_debris_report() {
	[[ -e $REG_DIR ]] && echo "  registry dir $REG_DIR"
	[[ -e $REG_CERTS_D ]] && echo "  registry CA $REG_CERTS_D"
	[[ -e /run/netns/$REG_NS ]] && echo "  netns $REG_NS"
	ip link show "$REG_VETH" >/dev/null 2>&1 && echo "  link $REG_VETH"
	local p
	for p in $(registry_pids); do echo "  process $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120)"; done
	true
}

registry_state() { if registry_alive && registry_answers; then echo up; else echo down; fi; }

# registry_line [STATE]: the registry's status line
registry_line() {
	echo "registry addr=$REG_ADDR user=$REG_USER state=${1:-$(registry_state)} image=$REG_IMAGE ca=$TLS_DIR/ca.pem"
}

cmd_registry() {
	local sub=${1:-status}
	(($#)) && shift
	(($# == 0)) || die "registry $sub: unexpected argument '$1'"
	case $sub in
	up)
		need_root
		lab_exists || die "lab '$LAB_NAME' is not up (run: $PROG up)"
		take_lock
		registry_up
		registry_line
		;;
	down)
		need_root
		take_lock
		registry_down
		;;
	status)
		if ! lab_exists; then
			echo "lab '$LAB_NAME' is not up" >&2
			return 1
		fi
		local state
		state=$(registry_state)
		registry_line "$state"
		[[ $state == up ]]
		;;
	password)
		need_root
		[[ -s $REG_DIR/password ]] || die "the lab has no registry (run: $PROG registry up)"
		registry_password
		;;
	*) die "registry: unknown command '$sub' (up, down, status, password)" ;;
	esac
}

# ------------------------------------------------------------------ commands

print_status() {
	local i owners=() n
	n=$(total_nodes)
	for ((i = 1; i <= n; i++)); do
		vip_on_node "$i" && owners+=("node$i")
	done
	local owner=none
	((${#owners[@]} > 0)) && owner=$(
		IFS=,
		echo "${owners[*]}"
	)
	echo "vip=$VIP owner=$owner"
	echo "tls=tcp://NODE:$TLS_PORT cert_path=$TLS_DIR/client"
	echo "ssh=ssh://root@NODE config=$SSH_DIR/ssh_config path=$SSH_DIR/bin"
	registry_line
	local docker
	for ((i = 1; i <= n; i++)); do
		if dockerd_up "$i"; then docker=up; else docker=down; fi
		echo "node$i role=$(node_role "$i") socket=$(node_host "$i") addr=$(node_ip "$i") docker=$docker keepalived=$(keepalived_state "$i") link=$(link_state "$i")"
	done
}

cmd_status() {
	if ! lab_exists; then
		echo "lab '$LAB_NAME' is not up" >&2
		return 1
	fi
	print_status
}

# another instance of the lab holding the same addresses?
check_address_conflict() {
	local line dev
	line=$(ip -4 -o addr show 2>/dev/null | awk -v a="$HOST_IP/" 'index($4, a) == 1 {print $2}' | head -n1)
	dev=${line%%@*}
	if [[ -n $dev && $dev != "$BRIDGE" ]]; then
		die "$HOST_IP is already on interface '$dev' (another lab instance? run: SWARMDECK_LAB=${dev%-br} $PROG down). Lab instances share 198.51.100.0/24 and cannot run at the same time."
	fi
}

cmd_up() {
	local managers=3 workers=0
	while (($#)); do
		case $1 in
		--workers | -w)
			(($# >= 2)) || die "--workers needs a number"
			workers=$2
			shift 2
			;;
		--workers=*)
			workers=${1#*=}
			shift
			;;
		-h | --help)
			usage
			return 0
			;;
		*)
			[[ $1 =~ ^[0-9]+$ ]] || die "up: unexpected argument '$1' (usage: $PROG up [N] [--workers M])"
			managers=$1
			shift
			;;
		esac
	done
	[[ $managers =~ ^[0-9]+$ && $managers -ge 1 && $managers -le 9 ]] || die "managers must be 1..9"
	[[ $workers =~ ^[0-9]+$ && $workers -le 20 ]] || die "workers must be 0..20"
	need_root
	take_lock
	local start=$SECONDS

	if lab_exists; then
		if ((LAB_MANAGERS == managers && LAB_WORKERS == workers)) && lab_healthy; then
			log "lab is already up and healthy"
			registry_up
			print_status
			return 0
		fi
		# Every node alive but still settling (e.g. right after a restore the
		# VIP has yet to move back to node1): give it a moment, not a rebuild.
		if ((LAB_MANAGERS == managers && LAB_WORKERS == workers)) && all_nodes_alive &&
			wait_for 20 "the lab to settle" lab_healthy 2>/dev/null; then
			log "lab is up and healthy"
			registry_up
			print_status
			return 0
		fi
		log "lab exists but is unhealthy or has another shape; rebuilding"
	fi
	if has_debris; then
		log "cleaning up a previous lab"
		do_down || die "could not clean up the previous lab; see warnings above"
	fi

	ensure_packages
	check_address_conflict
	LAB_MANAGERS=$managers
	LAB_WORKERS=$workers
	local n
	n=$(total_nodes)
	log "building lab: $managers manager(s), $workers worker(s)"
	mkdir -p "$STATE"
	chmod 0755 "$BASE_DIR" "$STATE"
	printf 'LAB_NAME=%s\nLAB_MANAGERS=%s\nLAB_WORKERS=%s\nLAB_CREATED=%s\n' \
		"$LAB_NAME" "$managers" "$workers" "$(date -Is)" >"$LAB_ENV.tmp"
	setup_bridge
	local i
	for ((i = 1; i <= n; i++)); do
		mkdir -p "$(node_dir "$i")"
		setup_node_net "$i"
	done
	mv "$LAB_ENV.tmp" "$LAB_ENV"
	make_tls "$n"
	make_ssh
	for ((i = 1; i <= n; i++)); do start_dockerd "$i"; done
	for ((i = 1; i <= n; i++)); do
		dockerd_wait "$i" || die "dockerd on node$i did not come up"
	done
	log "dockerd up on all $n nodes ($((SECONDS - start))s)"

	log "building workload image $IMAGE"
	build_image
	local pids=()
	for ((i = 2; i <= n; i++)); do
		load_image "$i" &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do wait "$i"; done

	log "forming the swarm"
	init_swarm
	for ((i = 1; i <= n; i++)); do write_keepalived_conf "$i"; done
	for ((i = 1; i <= n; i++)); do
		start_keepalived "$i" || die "keepalived did not start on node$i; see $(node_dir "$i")/keepalived.log"
		start_sshd "$i" || die "sshd did not start on node$i; see $(node_dir "$i")/sshd.log"
	done
	wait_for "$T_SWARM" "swarm with $managers manager(s) and $workers worker(s) Ready and a leader" swarm_healthy ||
		die "swarm did not become healthy"
	wait_for "$T_VIP" "keepalived on node1 to be MASTER holding $VIP" vip_ok ||
		die "VIP did not settle on node1 (see $(node_dir 1)/keepalived.log)"
	all_images || die "workload image missing on a node"
	registry_up
	log "lab is up in $((SECONDS - start))s"
	print_status
}

# has_debris: anything of this instance left on the machine?
has_debris() {
	[[ -e $STATE ]] && return 0
	ip link show "$BRIDGE" >/dev/null 2>&1 && return 0
	ip netns list 2>/dev/null | grep -q "^$LAB_NAME-node" && return 0
	ip -o link show 2>/dev/null | grep -q ": $LAB_NAME-v[0-9]" && return 0
	registry_debris && return 0
	iptables -w -S FORWARD 2>/dev/null | grep -qF "$IPT_COMMENT" && return 0
	[[ -n $(lab_pids) ]] && return 0
	local d
	for d in /sys/fs/cgroup/"$CG_REL" /sys/fs/cgroup/*/"$CG_REL"; do
		[[ -d $d ]] && return 0
	done
	grep -qF " $STATE/" /proc/self/mountinfo && return 0
	return 1
}

lab_mounts() { # mount points under the state dir, deepest first
	awk -v p="$STATE/" 'index($5, p) == 1 || $5 == substr(p, 1, length(p) - 1) { print $5 }' /proc/self/mountinfo |
		awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2- || true
}

unmount_all() {
	local deadline=$((SECONDS + 20)) m
	while :; do
		local mounts
		mounts=$(lab_mounts)
		[[ -z $mounts ]] && return 0
		while IFS= read -r m; do
			# mountinfo escapes space, tab, newline and backslash as octal
			m=$(printf '%b' "$m")
			timeout 10 umount -l "$m" 2>/dev/null || true
		done <<<"$mounts"
		if ((SECONDS >= deadline)); then
			warn "mounts left under $STATE: $(echo "$mounts" | paste -sd' ')"
			return 1
		fi
		sleep 0.1
	done
}

do_down() {
	local rc=0 i ns l
	# 1. processes: whole-instance cgroup kill, then anything still found
	local cg="${CG2:+$CG2/$CG_REL}"
	if [[ -n $cg && -f $cg/cgroup.kill ]]; then
		echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
	fi
	kill_until_gone "$T_KILL" lab_pids || rc=1
	# 2. mounts (overlay rootfs, netns bind mounts, shm) under the state dir
	unmount_all || rc=1
	# 3. network namespaces, veths, bridge
	while IFS= read -r ns; do
		[[ -n $ns ]] || continue
		timeout 10 ip netns del "$ns" 2>/dev/null || true
	done < <(ip netns list 2>/dev/null | awk -v p="$LAB_NAME-node" -v r="$REG_NS" 'index($1, p) == 1 || $1 == r {print $1}')
	while IFS= read -r l; do
		[[ -n $l ]] || continue
		timeout 10 ip link del "$l" 2>/dev/null || true
	done < <(ip -o link show 2>/dev/null | awk -F': ' -v p="$LAB_NAME-v" '{ split($2, a, "@") } index(a[1], p) == 1 { print a[1] }')
	if ip link show "$BRIDGE" >/dev/null 2>&1; then
		timeout 10 ip link del "$BRIDGE" || rc=1
	fi
	# 4. iptables rules we added (identified by their comment)
	local rule
	while IFS= read -r rule; do
		[[ -n $rule ]] || continue
		# shellcheck disable=SC2086
		eval "timeout 10 iptables -w ${rule/#-A /-D }" || rc=1
	done < <(iptables -w -S 2>/dev/null | grep -F -- "$IPT_COMMENT" || true)
	# 5. cgroups; the registry's CA in the host's certs.d
	cg_cleanup
	rm -rf "$REG_CERTS_D"
	rmdir /etc/docker/certs.d 2>/dev/null || true
	# 6. shim sockets of killed tasks, then the state dir (never crossing into
	#    a still-mounted file system)
	local sock
	while IFS= read -r sock; do rm -f "$sock"; done < <(shim_sockets)
	if [[ -e $STATE ]]; then
		if [[ -n $(lab_mounts) ]]; then
			warn "not removing $STATE: mounts remain"
			rc=1
		else
			timeout 60 rm -rf --one-file-system "$STATE" || rc=1
		fi
	fi
	rmdir "$BASE_DIR" 2>/dev/null || true
	cleanup_run_dirs
	# 7. verify
	if has_debris; then
		warn "debris left behind:"
		debris_report >&2
		rc=1
	fi
	return "$rc"
}

# containerd 1.6 puts shim sockets in /run/containerd/s/<sha256 of
# "<containerd address>/<namespace>/<container id>">; a SIGKILLed shim leaves
# its socket behind. List the ones that belong to this lab.
# shim_sockets [NODE-DIR...]: of these nodes (default: every node).
shim_sockets() {
	[[ -d /run/containerd/s ]] || return 0
	local nd id h dirs=("$@")
	((${#dirs[@]})) || dirs=("$STATE"/node*)
	for nd in "${dirs[@]}"; do
		[[ -d $nd ]] || continue
		for id in "$nd"/data/containers/* "$nd"/exec/containerd/daemon/io.containerd.runtime.v2.task/*/*; do
			[[ -e $id ]] || continue
			local ns=moby
			[[ $id == */io.containerd.runtime.v2.task/* ]] && ns=$(basename "$(dirname "$id")")
			h=$(printf '%s' "$nd/exec/containerd/containerd.sock/$ns/${id##*/}" | sha256sum)
			h=${h%% *}
			[[ -e /run/containerd/s/$h ]] && echo "/run/containerd/s/$h"
		done
	done | sort -u
	true
}

# Host-wide directories the lab brings into being: /run/netns (a bind mount
# made by `ip netns add`), /run/docker/plugins (made by every dockerd) and
# /run/sshd (sshd's privilege separation directory).
# Removed only while empty and unused.
# live_process NAME: a process of that name runs (zombies, killed but not yet reaped, do not count)
live_process() {
	local p
	for p in $(pgrep -x "$1" 2>/dev/null); do
		[[ $(awk '/^State:/ {print $2}' "/proc/$p/status" 2>/dev/null) =~ ^[^ZX]$ ]] && return 0
	done
	return 1
}

cleanup_run_dirs() {
	if [[ -d /run/netns && -z $(ls -A /run/netns 2>/dev/null) ]]; then
		if grep -qE '^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /run/netns ' /proc/self/mountinfo; then
			timeout 10 umount /run/netns 2>/dev/null || true
		fi
		rmdir /run/netns 2>/dev/null || true
	fi
	if [[ -d /run/containerd ]] && ! live_process containerd; then
		rmdir /run/containerd/s 2>/dev/null || true
		rmdir /run/containerd 2>/dev/null || true
	fi
	if [[ -d /run/sshd ]] && ! live_process sshd; then
		rmdir /run/sshd 2>/dev/null || true
	fi
	if [[ -d /run/docker ]] && ! live_process dockerd; then
		rmdir /run/docker/plugins 2>/dev/null || true
		rmdir /run/docker 2>/dev/null || true
	fi
}

debris_report() {
	[[ -e $STATE ]] && echo "  state dir $STATE"
	ip link show "$BRIDGE" >/dev/null 2>&1 && echo "  bridge $BRIDGE"
	ip netns list 2>/dev/null | grep "^$LAB_NAME-node" | sed 's/^/  netns /'
	ip -o link show 2>/dev/null | grep ": $LAB_NAME-v[0-9]" | sed 's/^/  link /'
	registry_debris_report
	iptables -w -S 2>/dev/null | grep -F "$IPT_COMMENT" | sed 's/^/  iptables /'
	local p
	for p in $(lab_pids); do echo "  process $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120)"; done
	local d
	for d in /sys/fs/cgroup/"$CG_REL" /sys/fs/cgroup/*/"$CG_REL"; do
		[[ -d $d ]] && echo "  cgroup $d"
	done
	lab_mounts | sed 's/^/  mount /'
	true
}

cmd_down() {
	need_root
	take_lock
	if ! has_debris; then
		log "nothing to clean up"
		return 0
	fi
	log "tearing down"
	do_down
	log "down"
}

cmd_kill() {
	need_root
	local i
	i=$(resolve_node "${1:-}")
	take_lock
	local cg
	cg=$(cg_node "$i")
	# power loss: the link goes first, then every process at once
	ip link set "$(node_veth "$i")" down
	if [[ -n $cg && -f $cg/cgroup.kill ]]; then
		echo 1 >"$cg/cgroup.kill"
	fi
	kill_until_gone "$T_KILL" node_pids "$i" || die "could not kill every process of node$i"
	# The SIGKILLed shims leave their sockets in the host-wide /run/containerd/s; the
	# restarted node forgets those tasks, so only now are they known to be ours.
	local sock
	while IFS= read -r sock; do rm -f "$sock"; done < <(shim_sockets "$(node_dir "$i")")
	# A powered-off machine holds no addresses: drop the VIP keepalived had
	# configured (it cannot be used anyway with the link down), as a reboot would.
	ip -n "$(node_ns "$i")" addr del "$VIP/24" dev eth0 2>/dev/null || true
	log "node$i killed (link down, all processes SIGKILLed)"
}

cmd_restore() {
	need_root
	local i
	i=$(resolve_node "${1:-}")
	take_lock
	ip link set "$(node_veth "$i")" up
	if ! dockerd_up "$i"; then
		# a half-dead node: make sure nothing of the old daemon is left
		if ! pid_alive_as "$(node_dir "$i")/dockerd.pid" dockerd; then
			local cg
			cg=$(cg_node "$i")
			[[ -n $cg && -f $cg/daemon/cgroup.kill ]] && echo 1 >"$cg/daemon/cgroup.kill"
			kill_until_gone "$T_KILL" daemon_pids "$i" || true
			start_dockerd "$i"
		fi
		dockerd_wait "$i" || die "dockerd on node$i did not answer"
	fi
	start_keepalived "$i" || die "keepalived did not start on node$i; see $(node_dir "$i")/keepalived.log"
	start_sshd "$i" || die "sshd did not start on node$i; see $(node_dir "$i")/sshd.log"
	log "node$i restored"
}

daemon_pids() { # node_pids minus keepalived
	local p
	for p in $(node_pids "$1"); do
		[[ $(cat "/proc/$p/comm" 2>/dev/null || true) == keepalived ]] || echo "$p"
	done
	true
}

cmd_stop_vip() {
	need_root
	local i
	i=$(resolve_node "${1:-}")
	take_lock
	stop_keepalived "$i"
	log "keepalived stopped on node$i"
}

cmd_start_vip() {
	need_root
	local i
	i=$(resolve_node "${1:-}")
	take_lock
	start_keepalived "$i" || die "keepalived did not start on node$i; see $(node_dir "$i")/keepalived.log"
	log "keepalived started on node$i"
}

cmd_env() {
	local i
	i=$(resolve_node "${1:-node1}")
	echo "export DOCKER_HOST=$(node_host "$i")"
}

cmd_exec() {
	local i
	i=$(resolve_node "${1:-}")
	shift
	(($#)) || die "exec: missing command"
	exec 9>&-
	DOCKER_HOST=$(node_host "$i") exec nsenter --net="/run/netns/$(node_ns "$i")" \
		--uts="$(node_dir "$i")/uts" -- "$@"
}

cmd_docker() {
	local i
	i=$(resolve_node "${1:-}")
	shift
	exec env -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH \
		"$DOCKER_BIN" -H "$(node_host "$i")" "$@"
}

# ------------------------------------------------------------------ spare engine
# One more engine, started as the nodes are (its own network and UTS namespace on the lab
# bridge, its own data dir and cgroup) but not in the swarm: for the join-token tests (an
# old token is refused, the new one joins). It is node index SPARE: address
# $PREFIX.(10+SPARE), hostname nodeSPARE; `down` removes it with the rest of the lab.
readonly SPARE=50

spare_mounts() { # mount points under the spare's dir, deepest first
	awk -v p="$(node_dir "$SPARE")/" 'index($5, p) == 1 || $5 == substr(p, 1, length(p) - 1) { print $5 }' /proc/self/mountinfo |
		awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2- || true
}

spare_swarm_state() {
	LDOCKER_TIMEOUT=10 ldocker "$SPARE" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown
}

spare_status() {
	local docker=down swarm=unknown
	if dockerd_up "$SPARE"; then
		docker=up
		swarm=$(spare_swarm_state)
	fi
	echo "spare name=node$SPARE socket=$(node_host "$SPARE") addr=$(node_ip "$SPARE") docker=$docker swarm=$swarm"
}

# leave the swarm (if in it) and drop its node entry on a manager, so the lab's node
# count is what `up` expects again
spare_leave() {
	if dockerd_up "$SPARE"; then
		LDOCKER_TIMEOUT=30 ldocker "$SPARE" swarm leave --force >/dev/null 2>&1 || true
	fi
	local m
	if m=$(demo_manager); then
		local id
		for id in $(ldocker "$m" node ls --filter "name=node$SPARE" -q 2>/dev/null); do
			ldocker "$m" node rm --force "$id" >/dev/null 2>&1 || true
		done
	fi
}

cmd_spare() {
	local sub=${1:-status}
	(($#)) && shift
	need_root
	lab_exists || die "lab '$LAB_NAME' is not up (run: $PROG up)"
	take_lock
	case $sub in
	up)
		if ! dockerd_up "$SPARE"; then
			mkdir -p "$(node_dir "$SPARE")"
			[[ -e /run/netns/$(node_ns "$SPARE") ]] || setup_node_net "$SPARE"
			start_dockerd "$SPARE"
			dockerd_wait "$SPARE" || die "dockerd on the spare engine did not come up"
		fi
		log "spare engine node$SPARE up at $(node_ip "$SPARE") (not joined)"
		spare_status
		;;
	join)
		local token=${1:-} mgr=${2:-"$(node_ip 1):2377"}
		[[ -n $token ]] || die "spare join: missing TOKEN"
		dockerd_up "$SPARE" || die "the spare engine is not up (run: $PROG spare up)"
		# the token is passed on, never logged; the CLI's answer and exit code are the result
		exec 9>&-
		LDOCKER_TIMEOUT=60 ldocker "$SPARE" swarm join --token "$token" \
			--advertise-addr "$(node_ip "$SPARE")" --listen-addr 0.0.0.0:2377 "$mgr"
		;;
	leave)
		spare_leave
		log "spare engine node$SPARE left the swarm"
		;;
	down)
		spare_leave
		local cg rc=0 m sock
		cg=$(cg_node "$SPARE")
		if [[ -n $cg && -f $cg/cgroup.kill ]]; then
			echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
		fi
		kill_until_gone "$T_KILL" node_pids "$SPARE" || rc=1
		while IFS= read -r sock; do rm -f "$sock"; done < <(shim_sockets "$(node_dir "$SPARE")")
		while IFS= read -r m; do
			[[ -n $m ]] || continue
			timeout 10 umount -l "$(printf '%b' "$m")" 2>/dev/null || true
		done < <(spare_mounts)
		timeout 10 ip netns del "$(node_ns "$SPARE")" 2>/dev/null || true
		timeout 10 ip link del "$(node_veth "$SPARE")" 2>/dev/null || true
		if [[ -n $cg && -d $cg ]]; then
			find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
		fi
		if [[ -z $(spare_mounts) ]]; then
			timeout 60 rm -rf --one-file-system "$(node_dir "$SPARE")" || rc=1
		else
			warn "not removing $(node_dir "$SPARE"): mounts remain"
			rc=1
		fi
		log "spare engine node$SPARE removed"
		return "$rc"
		;;
	status) spare_status ;;
	*) die "spare: unknown subcommand '$sub' (up, join TOKEN [MANAGER:PORT], leave, down, status)" ;;
	esac
}

usage() {
	cat <<EOF
$PROG - swarmdeck test lab: a real HA Docker Swarm in network namespaces

Usage: $PROG COMMAND [ARGS]

  up [N] [--workers M]  build the lab: N managers (default 3, max 9) and M
                        workers (default 0); idempotent; cleans debris first
  down                  remove everything (processes, mounts, netns, links,
                        bridge, iptables rules, cgroups, state dir)
  status                "vip=<VIP> owner=<nodes|none>", the tls=, ssh= and
                        registry lines, then one line per node:
                        nodeI role= socket= addr= docker= keepalived= link=
                        (exit 1 if the lab is not up)
  kill NODE             power loss: link down, then SIGKILL all of the node
  restore NODE          link up, restart dockerd (same data) and keepalived
  stop-vip NODE         stop keepalived on NODE
  start-vip NODE        start keepalived on NODE
  env [NODE]            print 'export DOCKER_HOST=...' (default node1)
  exec NODE CMD...      run CMD in NODE's network namespace
                        (DOCKER_HOST set to the node's socket)
  docker NODE ARGS...   run the docker CLI against NODE
  workload              deploy the demo workload (what is missing of it): services
                        demo-web, demo-agent, demo-migrate, demo-pinned and
                        demo-crashy, labelled $DEMO_LABEL; does not wait
  workload-rm           remove every service labelled $DEMO_LABEL and wait
                        until none of their containers runs
  registry up|down|status|password
                        the lab's private registry at $REG_ADDR (basic auth,
                        user $REG_USER, TLS from the lab CA) holding $REG_IMAGE:
                        up (idempotent; also the end of "up"), down (also
                        part of "down"), status ("registry addr= user=
                        state=up|down ..."), password (print the password)
  spare up|join TOKEN [MGR:PORT]|leave|down|status
                        one more engine (node$SPARE, $PREFIX.$((10 + SPARE))) in its own
                        namespace, not in the swarm: up starts it, join joins it
                        with TOKEN (default manager node1:2377; the docker CLI's
                        answer and exit code), leave leaves and removes its node
                        entry, down removes it, status prints "spare name= socket=
                        addr= docker=up|down swarm=STATE"
  help                  this text

NODE is node1, node2, ... (or just 1, 2, ...). Managers are node1..nodeN,
workers come after. Addresses: host bridge $HOST_IP, nodeI $PREFIX.(10+I),
VIP $VIP.

Environment: SWARMDECK_LAB=name (default sdlab, [a-z0-9]{1,8}) selects the
instance: state in $BASE_DIR/<name>/, netns <name>-nodeI, bridge <name>-br.
Instances share the address range, so only one can be up at a time.
Docs: docs/lab.md
EOF
}

main() {
	local cmd=${1:-help}
	(($#)) && shift
	case $cmd in
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	status) cmd_status "$@" ;;
	kill) cmd_kill "$@" ;;
	restore) cmd_restore "$@" ;;
	stop-vip) cmd_stop_vip "$@" ;;
	start-vip) cmd_start_vip "$@" ;;
	env) cmd_env "$@" ;;
	exec) cmd_exec "$@" ;;
	docker) cmd_docker "$@" ;;
	workload) cmd_workload "$@" ;;
	workload-rm) cmd_workload_rm "$@" ;;
	registry) cmd_registry "$@" ;;
	spare) cmd_spare "$@" ;;
	help | -h | --help) usage ;;
	*)
		usage >&2
		die "unknown command '$cmd'"
		;;
	esac
}

main "$@"
