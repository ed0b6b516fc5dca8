# Helpers shared by the expect tests of this folder: failing with
# clean-up, starting vrouter, a telnet session, and ESP frames for wires.

set router_pid 0
set tmpdir ""

proc cleanup {} {
	global router_pid tmpdir
	if {$router_pid > 0} {
		catch {exec kill -KILL $router_pid}
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

# Starts vrouter with ARGS plus a telnet listener on a free port, waits
# for its start-up summary and returns the telnet port.
proc start_router {args} {
	global env router router_pid
	spawn -noecho $env(VR_BINARY) --no-console --telnet 127.0.0.1:0 {*}$args
	set router $spawn_id
	set router_pid [exp_pid -i $router]
	expect {
		-i $router -re {vrouter: started, telnet 127\.0\.0\.1:([0-9]+)} {
			return $expect_out(1,string)
		}
		-i $router eof {
			fail "vrouter exited during start-up:\n$expect_out(buffer)"
		}
		-i $router timeout { fail "no start-up summary line from vrouter" }
	}
}

# Opens a telnet session on PORT and enters privileged EXEC with paging off.
proc open_session {port} {
	global session
	spawn -noecho telnet 127.0.0.1 $port
	set session $spawn_id
	expect {
		-i $session "Router>" {}
		-i $session timeout { fail "no user EXEC prompt on telnet port $port" }
		-i $session eof { fail "telnet to 127.0.0.1:$port failed" }
	}
	command "enable"
	command "terminal length 0"
}

# Runs CMD in the session and returns its output up to the next prompt.
proc command {cmd {prompt "Router#"}} {
	global session
	send -i $session "$cmd\r"
	expect {
		-i $session -re "(.*)\r\n(\[^\r\n\]*)$prompt" {
			return $expect_out(1,string)
		}
		-i $session eof { fail "telnet session closed during '$cmd'" }
		-i $session timeout { fail "no prompt after '$cmd'" }
	}
}

proc close_session {} {
	global session
	send -i $session "exit\r"
	expect -i $session eof
	catch {wait -i $session}
}

# Sends SIGTERM and checks that vrouter exits 0 with no sanitizer report.
proc stop_router {} {
	global router router_pid
	exec kill -TERM $router_pid
	set rest ""
	expect {
		-i $router -re {(.+)} {
			append rest $expect_out(1,string)
			exp_continue
		}
		-i $router eof {}
		-i $router timeout { fail "vrouter still running 30 s after SIGTERM" }
	}
	set status [wait -i $router]
	if {[regexp {AddressSanitizer|LeakSanitizer|runtime error:} $rest]} {
		fail "sanitizer report at shutdown:\n$rest"
	}
	if {[lindex $status 2] != 0 || [lindex $status 3] != 0} {
		fail "vrouter exited with status $status after SIGTERM:\n$rest"
	}
	if {![catch {exec kill -0 $router_pid}]} {
		fail "vrouter process $router_pid still exists after exiting"
	}
	set router_pid 0
}

# Lines of TEXT (show logging output) whose message, after the IOS
# timestamp, equals MESSAGE.
proc count_log_lines {text message} {
	set found 0
	foreach line [split $text "\n"] {
		set line [string trimright $line "\r"]
		if {[regexp {^\*[A-Z][a-z][a-z] [ 123][0-9] [0-9:]{8}\.[0-9]{3}: (.*)$} $line -> msg]
		    && $msg eq $message} {
			incr found
		}
	}
	return $found
}

proc ip_checksum {header} {
	binary scan $header Su* words
	set sum 0
	foreach w $words {
		incr sum $w
	}
	while {$sum > 0xffff} {
		set sum [expr {($sum & 0xffff) + ($sum >> 16)}]
	}
	return [expr {~$sum & 0xffff}]
}

proc ipv4_bytes {addr} {
	return [binary format c4 [split $addr .]]
}

# An Ethernet frame with IPv4 and ESP from SRC to DST: SPI, sequence
# number SEQ, and 48 bytes that stand for IV, ciphertext and ICV.
proc esp_frame {src dst spi seq} {
	set esp [binary format IIa48 $spi $seq [string repeat "\xab" 48]]
	set total [expr {20 + [string length $esp]}]
	set header [binary format ccSSSccSa4a4 0x45 0 $total $seq 0 64 50 0 \
	    [ipv4_bytes $src] [ipv4_bytes $dst]]
	set header [binary format ccSSSccSa4a4 0x45 0 $total $seq 0 64 50 \
	    [ip_checksum $header] [ipv4_bytes $src] [ipv4_bytes $dst]]
	set eth [binary format H12H12S 525400000002 525400000001 0x0800]
	return $eth$header$esp
}
