#!/usr/bin/env bash
# End-to-end check of tests/lab/lab.sh (root; takes about a minute on 2 cores).
# Builds the lab, runs services, kills and restores the leader, moves the VIP,
# fakes a split brain, deploys the demo workload, takes the private registry down
# and up, tears down and checks nothing is left (the demo workload and the
# registry neither), recovers from a
# crash, and leaves the default lab (3 managers) UP at the end.
# Usage: tests/lab/selftest.sh   (honours SWARMDECK_LAB; lab.sh's progress
# goes to stderr). Ends with the line "N passed, N failed"; exit 1 on failure.
set -euo pipefail

LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab.sh"
NAME=${SWARMDECK_LAB:-sdlab}
STATE=/var/lib/swarmdeck-lab/$NAME
REG_ADDR=198.51.100.5:5000
pass=0
fail=0

ok() {
	pass=$((pass + 1))
	printf 'ok   %s\n' "$*"
}
bad() {
	fail=$((fail + 1))
	printf 'FAIL %s\n' "$*"
}
check() { # DESCRIPTION CMD...
	local d=$1
	shift
	if "$@" >/dev/null; then ok "$d"; else bad "$d"; fi
}
# eventually SECONDS DESCRIPTION CMD...: poll until CMD succeeds
eventually() {
	local secs=$1 d=$2
	shift 2
	local deadline=$((SECONDS + secs)) t0=$SECONDS
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			bad "$d (not within ${secs}s)"
			return 0
		fi
		sleep 0.5
	done
	ok "$d ($((SECONDS - t0))s)"
}

registry_state_is() { # (no grep -q on a pipe: with pipefail the writer's SIGPIPE would fail it)
	local out
	out=$("$LAB" status)
	grep "^registry addr=$REG_ADDR user=[^ ]* state=$1 " <<<"$out" >/dev/null
}
# the standard base64 of the X-Registry-Auth JSON of the lab's user has both + and /
registry_password_needs_base64url() {
	local user pw b64
	user=$("$LAB" status | sed -n 's/^registry .*user=\([^ ]*\).*/\1/p')
	pw=$("$LAB" registry password) || return 1
	b64=$(printf '{"username":"%s","password":"%s","serveraddress":"%s"}' "$user" "$pw" "$REG_ADDR" | base64 -w0)
	[[ $b64 == *+* && $b64 == */* ]]
}
registry_down_clean() {
	! pgrep -f "$STATE/registry/" >/dev/null && ! ip netns list | grep -q "^$NAME-reg" &&
		[[ ! -e /etc/docker/certs.d/$REG_ADDR && ! -e $STATE/registry ]]
}

vip_owner_is() { [[ $("$LAB" status | head -n1) == "vip=198.51.100.100 owner=$1" ]]; }
swarm_line() { "$LAB" docker "$1" node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}' 2>/dev/null; }
leader_is_not() { swarm_line "$1" | awk -v n="$2" '$NF == "Leader" && $1 != n { f = 1 } END { exit !f }'; }
node_status_is() { swarm_line "$1" | awk -v n="$2" -v s="$3" '$1 == n && $2 == s { f = 1 } END { exit !f }'; }
service_running() { # NODE SERVICE COUNT
	[[ $("$LAB" docker "$1" service ps "$2" --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running') -eq $3 ]]
}
nothing_left() {
	local leftovers=""
	pgrep -f "$STATE/" >/dev/null && leftovers+=" processes"
	ip netns list | grep -qE "^$NAME-(node|reg)" && leftovers+=" netns"
	ip -o link show | grep -qE ": $NAME-(br|v[0-9]|vr)" && leftovers+=" links"
	[[ -e /etc/docker/certs.d/$REG_ADDR ]] && leftovers+=" registry-ca"
	grep -qF "$STATE" /proc/self/mountinfo && leftovers+=" mounts"
	iptables -w -S | grep -qF "swarmdeck-lab:$NAME" && leftovers+=" iptables"
	[[ -e $STATE ]] && leftovers+=" statedir"
	# host-wide: killed shims' sockets, sshd's run dir (when no containerd / sshd runs)
	if ! pgrep -x containerd >/dev/null && [[ -n $(ls -A /run/containerd/s 2>/dev/null) ]]; then
		leftovers+=" shim-sockets"
	fi
	[[ -d /run/sshd ]] && ! pgrep -x sshd >/dev/null && leftovers+=" /run/sshd"
	[[ -z $leftovers ]] || echo "left:$leftovers" >&2
	[[ -z $leftovers ]]
}

t0=$SECONDS
check "up (3 managers)" "$LAB" up
echo "   up took $((SECONDS - t0))s"
check "up again is idempotent" "$LAB" up
check "status exit 0" "$LAB" status
check "node1 MASTER with the VIP" vip_owner_is node1
check "env prints DOCKER_HOST" bash -c "[[ \$('$LAB' env node2) == 'export DOCKER_HOST=unix://$STATE/node2/docker.sock' ]]"
check "registry up (status line state=up)" registry_state_is up
check "registry password: standard base64 of its auth JSON has + and /" registry_password_needs_base64url
check "registry down" "$LAB" registry down
check "registry status exit 1 and state=down when down" bash -c "! '$LAB' registry status >/dev/null"
check "registry down leaves nothing" registry_down_clean
check "registry up again" "$LAB" registry up
check "registry status exit 0" "$LAB" registry status
check "exec runs in the node (hostname)" bash -c "[[ \$('$LAB' exec node2 hostname) == node2 ]]"

"$LAB" docker node1 service create --detach --name st1 --replicas 3 --no-resolve-image swarmdeck/busybox:lab sleep 3600 >/dev/null
"$LAB" docker node1 service create --detach --name sg1 --mode global --no-resolve-image swarmdeck/busybox:lab sleep 3600 >/dev/null
eventually 60 "replicated service runs 3 tasks" service_running node1 st1 3
eventually 60 "global service runs on 3 nodes" service_running node1 sg1 3

leader=$(swarm_line node1 | awk '$NF == "Leader" { print $1 }')
other=node2
[[ $leader == node2 ]] && other=node3
echo "   leader is $leader, watching from $other"
check "kill $leader" "$LAB" kill "$leader"
check "$leader reported docker=down link=down keepalived=stopped" \
	bash -c "[[ \$('$LAB' status | grep '^$leader ') == *'docker=down keepalived=stopped link=down' ]]"
eventually 60 "new leader elected" leader_is_not "$other" "$leader"
eventually 90 "$leader shows Down" node_status_is "$other" "$leader" Down
check "restore $leader" "$LAB" restore "$leader"
eventually 60 "$leader Ready again" node_status_is "$other" "$leader" Ready
eventually 30 "VIP back on node1" vip_owner_is node1

check "stop-vip node1" "$LAB" stop-vip node1
eventually 15 "VIP moves to node2" vip_owner_is node2
check "node1 keepalived=stopped" bash -c "[[ \$('$LAB' status | grep '^node1 ') == *keepalived=stopped* ]]"
check "start-vip node1" "$LAB" start-vip node1
eventually 15 "VIP back on node1 (preempt)" vip_owner_is node1

"$LAB" exec node2 ip addr add 198.51.100.100/24 dev eth0
check "split brain shows two owners" vip_owner_is node1,node2
"$LAB" exec node2 ip addr del 198.51.100.100/24 dev eth0

"$LAB" docker node1 service rm st1 sg1 >/dev/null
# the demo workload goes with the lab: nothing of it is left after down, none after up
check "workload (the demo's services)" "$LAB" workload
eventually 60 "demo-web runs 3 tasks" service_running node1 demo-web 3
check "down" "$LAB" down
check "nothing left after down" nothing_left
check "down again (nothing up) exits 0" "$LAB" down
check "status exits 1 when down" bash -c "! '$LAB' status 2>/dev/null"

check "up 3 --workers 1" "$LAB" up 3 --workers 1
check "node4 is a worker" bash -c "'$LAB' status | grep -q '^node4 role=worker .*docker=up'"
check "no demo workload after down and up" \
	bash -c "[[ -z \$('$LAB' docker node1 service ls -q --filter label=swarmdeck.demo=true) ]]"
# crash: SIGKILL the daemons behind lab.sh's back (by pid), then up must recover
mapfile -t pids < <(pgrep -f "$STATE/" || true)
((${#pids[@]})) && kill -9 "${pids[@]}"
check "up after a crash rebuilds (default shape)" "$LAB" up
check "registry up after the rebuild" registry_state_is up
check "healthy: idempotent up" "$LAB" up

printf '\n%d passed, %d failed\n' "$pass" "$fail"
echo "lab '$NAME' left UP (3 managers)"
((fail == 0))
