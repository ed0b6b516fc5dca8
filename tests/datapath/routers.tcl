# Helpers for expect tests that run several vrouter processes cabled by
# UDP wires: start and stop them, open a telnet session to each, run
# commands and read counters out of their output.

set routers {}
set tmpdir ""

proc cleanup {} {
	global routers tmpdir pids
	foreach name $routers {
		if {[info exists pids($name)] && $pids($name) > 0} {
			catch {exec kill -KILL $pids($name)}
		}
	}
	if {$tmpdir ne ""} {
		file delete -force $tmpdir
	}
}

proc fail {msg} {
	puts stderr "FAIL: $msg"
	cleanup
	exit 1
}

proc require_env {args} {
	global env
	foreach var $args {
		if {![info exists env($var)]} {
			puts stderr "FAIL: $var is not set; run this test through ctest"
			exit 1
		}
	}
}

# A UDP port base for this run's wires, so parallel runs rarely collide.
proc wire_base {} {
	return [expr {20000 + ([pid] * 8) % 40000}]
}

# Writes CONFIG to a file and starts router NAME with it and ARGS, then
# opens a privileged telnet session with paging off.
proc start_router {name config args} {
	global env routers pids procs sessions tmpdir
	set file $tmpdir/$name.cfg
	set f [open $file w]
	puts $f $config
	close $f
	spawn -noecho $env(VR_BINARY) --no-console --telnet 127.0.0.1:0 \
	    --config $file {*}$args
	set procs($name) $spawn_id
	set pids($name) [exp_pid -i $spawn_id]
	lappend routers $name
	expect {
		-i $procs($name) -re {vrouter: started, telnet 127\.0\.0\.1:([0-9]+)[^\n]*\((\d+) lines? rejected\)} {
			set port $expect_out(1,string)
			if {$expect_out(2,string) != 0} {
				fail "$name rejected config lines:\n$expect_out(buffer)"
			}
		}
		-i $procs($name) eof {
			fail "$name exited during start-up:\n$expect_out(buffer)"
		}
		-i $procs($name) timeout { fail "no start-up line from $name" }
	}
	spawn -noecho telnet 127.0.0.1 $port
	set sessions($name) $spawn_id
	expect {
		-i $sessions($name) "$name>" {}
		-i $sessions($name) timeout { fail "no prompt from $name" }
		-i $sessions($name) eof { fail "telnet to $name failed" }
	}
	command $name "enable"
	command $name "terminal length 0"
}

# Runs CMD on router NAME and returns its output up to the next prompt.
proc command {name cmd} {
	global sessions
	send -i $sessions($name) "$cmd\r"
	expect {
		-i $sessions($name) -re "(.*)\r\n$name#$" {
			return $expect_out(1,string)
		}
		-i $sessions($name) eof { fail "$name: session closed during '$cmd'" }
		-i $sessions($name) timeout { fail "$name: no prompt after '$cmd'" }
	}
}

# Sends SIGTERM to every router and checks each exits 0 with no
# sanitizer report.
proc stop_routers {} {
	global routers pids procs sessions
	foreach name $routers {
		send -i $sessions($name) "exit\r"
		expect -i $sessions($name) eof
		catch {wait -i $sessions($name)}
		exec kill -TERM $pids($name)
		set rest ""
		expect {
			-i $procs($name) -re {(.+)} {
				append rest $expect_out(1,string)
				exp_continue
			}
			-i $procs($name) eof {}
			-i $procs($name) timeout { fail "$name still running after SIGTERM" }
		}
		set status [wait -i $procs($name)]
		if {[regexp {AddressSanitizer|LeakSanitizer|runtime error:} $rest]} {
			fail "$name: sanitizer report at shutdown:\n$rest"
		}
		if {[lindex $status 3] != 0} {
			fail "$name exited with status $status:\n$rest"
		}
		set pids($name) 0
	}
}

# The number after LABEL in TEXT (e.g. "#pkts encaps:"), or fails.
proc counter {text label} {
	set re "[regsub -all {[][#().*+?^$\\|]} $label {\\&}] *(\[0-9\]+)"
	if {![regexp $re $text -> n]} {
		fail "no '$label' in:\n$text"
	}
	return $n
}
