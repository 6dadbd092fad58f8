package check

import (
	"encoding/hex"
	"math"
	"net/netip"
	"regexp/syntax"
	"strconv"
	"strings"

	"github.com/falconer-sec/falconer/compiler/fields"
	fsyntax "github.com/falconer-sec/falconer/compiler/syntax"
)

// This file decodes the constant right-hand values of checks the way
// libsinsp's value parser does for each field type.

// parseValue decodes the constant v compared with operator op against a
// value of type t.
func parseValue(op fields.Op, t ValueType, v *fsyntax.StringLit) (Value, *checkError) {
	val := Value{Pos: v.ValuePos, Text: v.Value}
	s := v.Value
	fail := func(code fsyntax.Code, msg string) (Value, *checkError) {
		return Value{}, errAt(v.ValuePos, code, msg)
	}
	if op == fields.OpBContains || op == fields.OpBStartsWith {
		b, ok := unhex(s)
		if !ok {
			return fail(fsyntax.CodeFilterValue, "filter error: bcontains and bstartswith operator support hex strings only")
		}
		val.Bytes = b
		return val, nil
	}
	typ := t.Type
	if typ != fields.TypeByteBuf && strings.IndexByte(s, 0) >= 0 {
		return fail(fsyntax.CodeFilterValue, `filter error: filter value cannot contain a NUL byte (\x00)`)
	}
	switch {
	case typ == fields.TypeBool:
		switch s {
		case "true":
			val.Bool, val.Uint = true, 1
		case "false":
		default:
			return fail(fsyntax.CodeFilterValue, "filter error: unrecognized boolean value "+s)
		}
	case typ == fields.TypePort:
		p, ok := parsePort(s)
		if !ok {
			return fail(fsyntax.CodeFilterValue, "unrecognized protocol "+s)
		}
		val.Uint = uint64(p)
	case typ == fields.TypeDouble:
		// libsinsp reads DOUBLE constants with its integer parser.
		n, ok := scanInt(s)
		if !ok {
			return fail(fsyntax.CodeFilterValue, s+" is not a valid number")
		}
		val.Float = float64(n)
	case typ.Numeric() && typ.Signed():
		n, ok := scanInt(s)
		if !ok {
			return fail(fsyntax.CodeFilterValue, s+" is not a valid number")
		}
		val.Int = n
	case typ.Numeric():
		n, ok := scanUint(s)
		if !ok {
			return fail(fsyntax.CodeFilterValue, s+" is not a valid number")
		}
		val.Uint = n
	case typ == fields.TypeIPv4Addr:
		a, ok := parseIPv4(s)
		if !ok {
			return fail(fsyntax.CodeFilterValue, "unrecognized IPv4 address "+s)
		}
		val.Addr = a
	case typ == fields.TypeIPv6Addr:
		a, ok := parseIPv6(s)
		if !ok {
			return fail(fsyntax.CodeFilterValue, "unrecognized IPv6 address "+s)
		}
		val.Addr = a
	case typ == fields.TypeIPAddr:
		if strings.IndexByte(s, ':') >= 0 {
			a, ok := parseIPv6(s)
			if !ok {
				return fail(fsyntax.CodeFilterValue, "unrecognized IPv6 address "+s)
			}
			val.Addr = a
		} else {
			a, ok := parseIPv4(s)
			if !ok {
				return fail(fsyntax.CodeFilterValue, "unrecognized IPv4 address "+s)
			}
			val.Addr = a
		}
	case typ.IsNet():
		p, ok := parseNet(s)
		if !ok {
			return fail(fsyntax.CodeFilterValue, "unrecognized IP network "+s)
		}
		val.Prefix = p
		val.Addr = p.Addr()
	}
	if op == fields.OpRegex {
		if _, err := syntax.Parse(s, syntax.POSIX); err != nil {
			return fail(fsyntax.CodeFilterValue, "invalid regex pattern: "+regexErrText(err))
		}
	}
	return val, nil
}

// regexErrText returns the part of a regexp/syntax error after its
// "error parsing regexp: " prefix.
func regexErrText(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// unhex decodes a hex string like libsinsp's sinsp_utils::unhex: an even
// number of hex digits.
func unhex(s string) ([]byte, bool) {
	if len(s)%2 != 0 {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// scanInt reads a signed decimal integer like sscanf("%" PRId64 "%c"):
// leading blanks and a sign are allowed, nothing may follow the digits,
// and out-of-range values saturate.
func scanInt(s string) (int64, bool) {
	i := skipSpace(s, 0)
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var n uint64
	over := false
	for i < len(s) && isDigit(s[i]) {
		d := uint64(s[i] - '0')
		if n > (math.MaxUint64-d)/10 {
			over = true
		} else {
			n = n*10 + d
		}
		i++
	}
	if i == start || i != len(s) {
		return 0, false
	}
	switch {
	case neg && (over || n > 1<<63):
		return math.MinInt64, true
	case neg:
		return -int64(n), true
	case over || n > math.MaxInt64:
		return math.MaxInt64, true
	}
	return int64(n), true
}

// scanUint reads an unsigned decimal integer like sscanf("%" PRIu64
// "%c"): a minus sign wraps around, out-of-range values saturate.
func scanUint(s string) (uint64, bool) {
	i := skipSpace(s, 0)
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var n uint64
	over := false
	for i < len(s) && isDigit(s[i]) {
		d := uint64(s[i] - '0')
		if n > (math.MaxUint64-d)/10 {
			over = true
		} else {
			n = n*10 + d
		}
		i++
	}
	if i == start || i != len(s) {
		return 0, false
	}
	if over {
		return math.MaxUint64, true
	}
	if neg {
		return -n, true
	}
	return n, true
}

func skipSpace(s string, i int) int {
	for i < len(s) && strings.IndexByte(" \t\n\v\f\r", s[i]) >= 0 {
		i++
	}
	return i
}

// parseIPv4 parses a dotted-quad address as inet_pton(AF_INET) does.
func parseIPv4(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, false
	}
	return a, true
}

// parseIPv6 parses an address as inet_pton(AF_INET6) does (IPv4-mapped
// and dotted forms included, no zone).
func parseIPv6(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || !strings.Contains(s, ":") {
		return netip.Addr{}, false
	}
	return a, true
}

// parseNet parses "address/bits"; a bare address is a full-length
// network.
func parseNet(s string) (netip.Prefix, bool) {
	addr, bitsText, hasBits := strings.Cut(s, "/")
	var a netip.Addr
	var ok bool
	if strings.IndexByte(addr, ':') >= 0 {
		a, ok = parseIPv6(addr)
	} else {
		a, ok = parseIPv4(addr)
	}
	if !ok {
		return netip.Prefix{}, false
	}
	bits := a.BitLen()
	if hasBits {
		n, err := strconv.Atoi(bitsText)
		if err != nil || n < 0 || n > a.BitLen() {
			return netip.Prefix{}, false
		}
		bits = n
	}
	return netip.PrefixFrom(a, bits), true
}

// parsePort parses a port number or a service name.
func parsePort(s string) (uint16, bool) {
	if s != "" && isDigit(s[0]) {
		n, ok := scanUint(s)
		if !ok {
			return 0, false
		}
		return uint16(n), true
	}
	p, ok := servicePorts[s]
	return p, ok
}

// servicePorts maps well-known service names to ports, as
// getservbyname(3) resolves them from a standard /etc/services. Embedding
// the table keeps compilation independent of the host.
var servicePorts = map[string]uint16{
	"tcpmux": 1, "echo": 7, "discard": 9, "systat": 11, "daytime": 13, "netstat": 15,
	"qotd": 17, "chargen": 19, "ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23,
	"smtp": 25, "time": 37, "whois": 43, "tacacs": 49, "domain": 53, "gopher": 70,
	"finger": 79, "http": 80, "www": 80, "kerberos": 88, "iso-tsap": 102, "acr-nema": 104,
	"pop3": 110, "sunrpc": 111, "auth": 113, "sftp": 115, "nntp": 119, "ntp": 123,
	"epmap": 135, "netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139, "imap2": 143,
	"imap": 143, "snmp": 161, "snmp-trap": 162, "cmip-man": 163, "cmip-agent": 164,
	"mailq": 174, "xdmcp": 177, "bgp": 179, "smux": 199, "qmtp": 209, "z3950": 210,
	"ipx": 213, "ptp-event": 319, "ptp-general": 320, "pawserv": 345, "zserv": 346,
	"rpc2portmap": 369, "codaauth2": 370, "clearcase": 371, "ldap": 389, "svrloc": 427,
	"https": 443, "snpp": 444, "microsoft-ds": 445, "kpasswd": 464, "submissions": 465,
	"saft": 487, "isakmp": 500, "rtsp": 554, "nqs": 607, "asf-rmcp": 623, "qmqp": 628,
	"ipp": 631, "ldp": 646, "exec": 512, "biff": 512, "login": 513, "who": 513,
	"shell": 514, "syslog": 514, "printer": 515, "talk": 517, "ntalk": 518, "route": 520,
	"gdomap": 538, "uucp": 540, "klogin": 543, "kshell": 544, "dhcpv6-client": 546,
	"dhcpv6-server": 547, "afpovertcp": 548, "nntps": 563, "submission": 587,
	"ldaps": 636, "tinc": 655, "silc": 706, "kerberos-adm": 749, "domain-s": 853,
	"rsync": 873, "ftps-data": 989, "ftps": 990, "telnets": 992, "imaps": 993,
	"pop3s": 995, "socks": 1080, "proofd": 1093, "rootd": 1094, "openvpn": 1194,
	"rmiregistry": 1099, "lotusnote": 1352, "ms-sql-s": 1433, "ms-sql-m": 1434,
	"ingreslock": 1524, "datametrics": 1645, "sa-msg-port": 1646, "kermit": 1649,
	"groupwise": 1677, "l2f": 1701, "radius": 1812, "radius-acct": 1813, "cisco-sccp": 2000,
	"nfs": 2049, "gnunet": 2086, "rtcm-sc104": 2101, "gsigatekeeper": 2119, "gris": 2135,
	"cvspserver": 2401, "venus": 2430, "venus-se": 2431, "codasrv": 2432, "codasrv-se": 2433,
	"mon": 2583, "dict": 2628, "f5-globalsite": 2792, "gsiftp": 2811, "gpsd": 2947,
	"gds-db": 3050, "icpv2": 3130, "isns": 3205, "iscsi-target": 3260, "mysql": 3306,
	"ms-wbt-server": 3389, "nut": 3493, "distcc": 3632, "daap": 3689, "svn": 3690,
	"suucp": 4031, "sysrqd": 4094, "sieve": 4190, "epmd": 4369, "remctl": 4373,
	"f5-iquery": 4353, "ntske": 4460, "ipsec-nat-t": 4500, "iax": 4569, "mtn": 4691,
	"radmin-port": 4899, "sip": 5060, "sip-tls": 5061, "xmpp-client": 5222,
	"xmpp-server": 5269, "cfengine": 5308, "mdns": 5353, "postgresql": 5432,
	"freeciv": 5556, "amqps": 5671, "amqp": 5672, "mqtt": 1883, "x11": 6000,
	"x11-1": 6001, "x11-2": 6002, "x11-3": 6003, "x11-4": 6004, "x11-5": 6005,
	"x11-6": 6006, "x11-7": 6007, "gnutella-svc": 6346, "gnutella-rtr": 6347,
	"redis": 6379, "sge-qmaster": 6444, "sge-execd": 6445, "mysql-proxy": 6446,
	"babel": 6696, "ircs-u": 6697, "bbs": 7000, "afs3-fileserver": 7000,
	"afs3-callback": 7001, "afs3-prserver": 7002, "afs3-vlserver": 7003,
	"afs3-kaserver": 7004, "afs3-volser": 7005, "afs3-bos": 7007, "afs3-update": 7008,
	"afs3-rmtsys": 7009, "font-service": 7100, "http-alt": 8080, "puppet": 8140,
	"bacula-dir": 9101, "bacula-fd": 9102, "bacula-sd": 9103, "xmms2": 9667,
	"nbd": 10809, "zabbix-agent": 10050, "zabbix-trapper": 10051, "amanda": 10080,
	"dicom": 11112, "hkp": 11371, "db-lsp": 17500, "dcap": 22125, "gsidcap": 22128,
	"wnn6": 22273, "kerberos4": 750, "kerberos-master": 751, "passwd-server": 752,
	"krb-prop": 754, "zephyr-srv": 2102, "zephyr-clt": 2103, "zephyr-hm": 2104,
	"iprop": 2121, "supfilesrv": 871, "supfiledbg": 1127, "poppassd": 106,
	"moira-db": 775, "moira-update": 777, "moira-ureg": 779, "spamd": 783,
	"skkserv": 1178, "predict": 1210, "rmtcfg": 1236, "xtel": 1313, "xtelw": 1314,
	"support": 1529, "cfinger": 2003, "frox": 2121, "zebrasrv": 2600, "zebra": 2601,
	"ripd": 2602, "ripngd": 2603, "ospfd": 2604, "bgpd": 2605, "ospf6d": 2606,
	"ospfapi": 2607, "isisd": 2608, "afbackup": 2988, "afmbackup": 2989, "fax": 4557,
	"hylafax": 4559, "distmp3": 4600, "munin": 4949, "enbd-cstatd": 5051,
	"enbd-sstatd": 5052, "pcrd": 5151, "noclog": 5354, "hostmon": 5355,
	"rplay": 5555, "nrpe": 5666, "nsca": 5667, "mrtd": 5674, "bgpsim": 5675,
	"canna": 5680, "syslog-tls": 6514, "sane-port": 6566, "ircd": 6667,
	"zope-ftp": 8021, "tproxy": 8081, "omniorb": 8088, "clc-build-daemon": 8990,
	"xinetd": 9098, "git": 9418, "zope": 9673, "webmin": 10000, "kamanda": 10081,
	"amandaidx": 10082, "amidxtape": 10083, "smsqp": 11201, "xpilot": 15345,
	"sgi-cmsd": 17001, "sgi-crsd": 17002, "sgi-gcd": 17003, "sgi-cad": 17004,
	"binkp": 24554, "asp": 27374, "csync2": 30865, "dircproxy": 57000, "tfido": 60177,
	"fido": 60179,
}
