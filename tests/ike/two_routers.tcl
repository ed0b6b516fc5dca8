# Helpers for IKEv1 tests between two vrouter processes cabled by a UDP
# wire: R1 (loopback 1.1.1.1, 10.0.12.1) and R2 (loopback 2.2.2.2,
# 10.0.12.2), each with a static crypto map towards the other whose ACL
# covers traffic between the loopbacks, negotiated with a pre-shared key.

source [file join [file dirname [info script]] .. datapath routers.tcl]

# Config of router NAME: loopback LO, wire address ADDR, peer PEER and
# the remote loopback RLO; RECOVERY adds crypto isakmp invalid-spi-recovery
# and EXTRA is appended as it is.
proc ike_config {name lo addr peer rlo recovery {extra ""}} {
	set config "hostname $name
interface Loopback0
 ip address $lo 255.255.255.255
interface GigabitEthernet1
 ip address $addr 255.255.255.0
 crypto map VPN
ip access-list extended CRYPTO
 permit ip host $lo host $rlo
crypto isakmp policy 10
 encryption aes
 hash sha
 authentication pre-share
 group 14
crypto isakmp key vrouter-test-key address $peer
crypto ipsec transform-set TS esp-aes esp-sha-hmac
crypto map VPN 10 ipsec-isakmp
 set peer $peer
 set transform-set TS
 match address CRYPTO
ip route $rlo 255.255.255.255 $peer"
	if {$recovery} {
		append config "\ncrypto isakmp invalid-spi-recovery"
	}
	if {$extra ne ""} {
		append config "\n$extra"
	}
	return $config
}

proc r1_config {recovery {extra ""}} {
	return [ike_config R1 1.1.1.1 10.0.12.1 10.0.12.2 2.2.2.2 $recovery $extra]
}

proc r2_config {recovery {extra ""}} {
	return [ike_config R2 2.2.2.2 10.0.12.2 10.0.12.1 1.1.1.1 $recovery $extra]
}

# Wire ends of R1 and R2 for this run.
set wire_base [wire_base]

proc r1_wire {} {
	global wire_base
	set p2 [expr {$wire_base + 1}]
	return "GigabitEthernet1=127.0.0.1:$wire_base,127.0.0.1:$p2"
}

proc r2_wire {} {
	global wire_base
	set p2 [expr {$wire_base + 1}]
	return "GigabitEthernet1=127.0.0.1:$p2,127.0.0.1:$wire_base"
}

# Kills router NAME with SIGKILL, as a crash or power loss would, and
# starts it again with CONFIG: it comes back with no SA at all.
proc restart_router {name config args} {
	global pids procs sessions routers
	catch {close -i $sessions($name)}
	catch {wait -i $sessions($name)}
	exec kill -KILL $pids($name)
	catch {close -i $procs($name)}
	catch {wait -i $procs($name)}
	set pids($name) 0
	set routers [lsearch -all -inline -not -exact $routers $name]
	start_router $name $config {*}$args
}

# Applies the config commands LINES on NAME from configure terminal, then
# returns to privileged EXEC; fails when a command prints an error.
proc configure {name lines} {
	global sessions
	foreach cmd [list "configure terminal" {*}$lines] {
		send -i $sessions($name) "$cmd\r"
		expect {
			-i $sessions($name) -re "(.*)\r\n$name\\(config\[^)\]*\\)#$" {
				if {[string first "%" $expect_out(1,string)] >= 0} {
					fail "$name: '$cmd' failed:\n$expect_out(1,string)"
				}
			}
			-i $sessions($name) eof { fail "$name: session closed during '$cmd'" }
			-i $sessions($name) timeout { fail "$name: no config prompt after '$cmd'" }
		}
	}
	command $name "end"
}

# Pings DST COUNT times from NAME's Loopback0 with a 1 s timeout and
# returns the success rate in percent.
proc ping_rate {name dst count} {
	set out [command $name "ping $dst source Loopback0 repeat $count timeout 1"]
	if {![regexp {Success rate is ([0-9]+) percent} $out -> rate]} {
		fail "$name: no success rate in the ping output:\n$out"
	}
	return $rate
}

# Pings DST from NAME once a round until one echo is answered or
# SECONDS pass. Returns the milliseconds from START (clock
# milliseconds) to the answer, or fails.
proc ping_until_answered {name dst seconds start} {
	set deadline [expr {[clock milliseconds] + $seconds * 1000}]
	while {[clock milliseconds] < $deadline} {
		if {[ping_rate $name $dst 1] == 100} {
			return [expr {[clock milliseconds] - $start}]
		}
	}
	fail "$name: no echo from $dst answered within $seconds s"
}

# Runs CMD on NAME every 250 ms until its output matches the regular
# expression RE (or, with WANT 0, no longer matches it) or SECONDS pass;
# returns the last output.
proc poll_command {name cmd re seconds {want 1}} {
	set deadline [expr {[clock milliseconds] + $seconds * 1000}]
	while {1} {
		set out [command $name $cmd]
		if {[regexp -- $re $out] == $want ||
		    [clock milliseconds] >= $deadline} {
			return $out
		}
		after 250
	}
}

# The "current outbound spi" of NAME's only flow, followed by the SPIs
# of its inbound SAs (more than one while a rekey or two simultaneous
# Quick Modes leave an extra pair).
proc sa_spis {name} {
	set out [command $name "show crypto ipsec sa"]
	if {![regexp {current outbound spi: (0x[0-9A-F]+)} $out -> out_spi] ||
	    ![regexp {inbound esp sas:(.*)inbound ah sas:} $out -> inbound]} {
		fail "$name: no flow in:\n$out"
	}
	set spis [regexp -all -inline {spi: 0x[0-9A-F]+} $inbound]
	if {[llength $spis] == 0} {
		fail "$name: no inbound SA in:\n$out"
	}
	set result [list $out_spi]
	foreach spi $spis {
		lappend result [string range $spi 5 end]
	}
	return $result
}

# The SPIs of NAME's outbound SAs.
proc outbound_spis {name} {
	set out [command $name "show crypto ipsec sa"]
	if {![regexp {outbound esp sas:(.*)outbound ah sas:} $out -> section]} {
		fail "$name: no flow in:\n$out"
	}
	set spis {}
	foreach spi [regexp -all -inline {spi: 0x[0-9A-F]+} $section] {
		lappend spis [string range $spi 5 end]
	}
	return $spis
}

# Sum of the QFP global drops named NAME (e.g. IpsecInput) on router R.
proc qfp_drops {r name} {
	set out [command $r "show platform hardware qfp active statistics drop"]
	if {[regexp -line "^$name +(\[0-9\]+) " $out -> n]} {
		return $n
	}
	return 0
}
