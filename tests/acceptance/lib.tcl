# Helpers for the acceptance tests, on top of the e2e helpers (cleanup,
# fail, start_router, stop_router): exact-byte exchanges over telnet.

source [file join $env(VR_SOURCE_DIR) tests e2e lib.tcl]

proc quote {s} {
	return [regsub -all {[][{}()*+?.\\^$|]} $s {\\&}]
}

# Returns what the session has sent that no expect consumed yet.
proc pending {} {
	global session
	set got ""
	expect {
		-i $session -timeout 0 -re {.+} { set got $expect_out(buffer) }
		-i $session timeout {}
		-i $session eof {}
	}
	return $got
}

proc visible {s} {
	return [string map {"\r" "\\r" "\n" "\\n\n" "\x08" "\\b" "\x07" "\\a"} $s]
}

# Opens a telnet session on PORT and waits for the user EXEC prompt.
proc connect {port {prompt "Router>"}} {
	global session
	spawn -noecho telnet 127.0.0.1 $port
	set session $spawn_id
	expect {
		-i $session -re "\r\n[quote $prompt]$" {}
		-i $session timeout { fail "no $prompt prompt on port $port" }
		-i $session eof { fail "telnet to 127.0.0.1:$port failed" }
	}
}

# Sends the bytes KEYS and expects exactly ECHO_OUT (the echo and the
# output) followed by PROMPT, with nothing after it.
proc exchange {keys echo_out prompt what} {
	global session
	send -i $session -- $keys
	set re "^[quote $echo_out$prompt]$"
	expect {
		-i $session -re $re {}
		-i $session timeout {
			fail "$what: expected\n[visible $echo_out$prompt]\ngot\n[visible [pending]]"
		}
		-i $session eof { fail "$what: telnet session closed" }
	}
}

# Runs LINE and expects exactly OUT and then PROMPT.
proc exact {line out prompt} {
	exchange "$line\r" "$line\r\n$out" $prompt "\"$line\""
}

# Runs LINE and returns its output; the next prompt must be PROMPT.
proc output {line prompt} {
	global session
	send -i $session -- "$line\r"
	expect {
		-i $session -re "^[quote $line]\r\n(.*)[quote $prompt]$" {
			return $expect_out(1,string)
		}
		-i $session timeout {
			fail "\"$line\": no $prompt prompt; got\n[visible [pending]]"
		}
		-i $session eof { fail "\"$line\": telnet session closed" }
	}
}

# Returns the output of `show running-config`, header lines included,
# with line ends as "\n".
proc running_config {prompt} {
	set out [output "show running-config" $prompt]
	set out [string map {"\r\n" "\n"} $out]
	if {![regexp {^Building configuration\.\.\.\n\nCurrent configuration : [0-9]+ bytes\n} \
	    $out]} {
		fail "show running-config has no IOS header:\n$out"
	}
	return $out
}

# Returns the configuration lines of running_config output OUT, without
# the "Building configuration..." and "Current configuration" lines.
proc config_body {out} {
	regexp {^Building configuration\.\.\.\n\nCurrent configuration : [0-9]+ bytes\n(.*)$} \
	    $out -> body
	return $body
}

proc write_file {path text} {
	set fh [open $path w]
	puts -nonewline $fh $text
	close $fh
}
