#!/usr/bin/env python3
# tests/gdb/rawgdb.py - the gdb remote protocol spoken by hand to vmlab's
# stub (GDB manual, Appendix E), for what stock gdb never sends: bad
# checksums, malformed and overlong packets, unmapped memory, and a Ctrl-C
# byte while the guest runs.  Usage: rawgdb.py PORT SYMFILE
# Expectations: the manual's rules, and code bytes / entry point read from
# the ELF64 symbol file (not from vmlab).  Prints "ok ..." per check and
# exits non-zero at the first failure.
import socket
import struct
import sys

port, symfile = int(sys.argv[1]), sys.argv[2]
elf = open(symfile, 'rb').read()


def elf_bytes(addr, n):
    shoff, = struct.unpack_from('<Q', elf, 0x28)
    shentsz, shnum = struct.unpack_from('<HH', elf, 0x3a)
    for i in range(shnum):
        _, typ, _, sa, off, size = struct.unpack_from('<IIQQQQ', elf, shoff + i * shentsz)
        if typ == 1 and sa <= addr and addr + n <= sa + size:
            return elf[off + addr - sa:off + addr - sa + n]
    raise SystemExit('address %x not in the ELF' % addr)


def symbol(name):
    shoff, = struct.unpack_from('<Q', elf, 0x28)
    shentsz, shnum = struct.unpack_from('<HH', elf, 0x3a)
    secs = [struct.unpack_from('<IIQQQQII', elf, shoff + i * shentsz) for i in range(shnum)]
    for s in secs:
        if s[1] == 2:  # SHT_SYMTAB
            strtab = secs[s[6]]
            for off in range(s[4], s[4] + s[5], 24):
                nm, _, _, _, val, _ = struct.unpack_from('<IBBHQQ', elf, off)
                end = elf.index(b'\0', strtab[4] + nm)
                if elf[strtab[4] + nm:end] == name.encode():
                    return val
    raise SystemExit('no symbol ' + name)


entry, = struct.unpack_from('<Q', elf, 0x18)
main = symbol('sample_main')
s = socket.create_connection(('127.0.0.1', port), timeout=10)
buf = b''
noack = False


def check(cond, what):
    if not cond:
        print('FAIL', what)
        sys.exit(1)
    print('ok', what)


def byte():
    global buf
    while not buf:
        d = s.recv(65536)
        if not d:
            raise SystemExit('FAIL connection closed')
        buf += d
    b, buf = buf[:1], buf[1:]
    return b


def frame(data, csum=None):
    if isinstance(data, str):
        data = data.encode('latin-1')
    c = sum(data) & 0xff if csum is None else csum
    return b'$' + data + b'#%02x' % c


def reply():
    """One reply packet (acking it when acks are on); returns its data."""
    while byte() != b'$':
        pass
    data = b''
    while True:
        b = byte()
        if b == b'#':
            break
        data += b
    cs = byte() + byte()
    check(int(cs, 16) == sum(data) & 0xff, 'reply checksum of %r' % data[:40])
    if not noack:
        s.sendall(b'+')
    return data.decode('latin-1')


def ack():
    b = byte()
    check(b == b'+', 'ack')


def req(data, expect_ack=True):
    s.sendall(frame(data))
    if not noack and expect_ack:
        ack()
    return reply()


# Framing: a bad checksum is NAKed, then the good one is answered.
s.sendall(frame('?', csum=0x00))
check(byte() == b'-', 'bad checksum -> -')
check(req('?') == 'T05thread:1;', '? -> T05thread:1; (waiting at the first instruction)')
# A NAK from us makes the stub resend its last packet.
s.sendall(frame('?'))
ack()
first = reply()
s.sendall(b'-')
check(reply() == first, '- -> the stub resends its last reply')
sup = req('qSupported:swbreak+;hwbreak+;xmlRegisters=i386')
check('PacketSize=' in sup and 'qXfer:features:read+' in sup and 'swbreak+' in sup,
      'qSupported: ' + sup)
check(req('vMustReplyEmpty') == '', 'unknown packet -> empty reply')
check(req('mzz,8') == 'E01', 'bad hex -> E01')
check(req('Z9,0,1') == 'E01', 'bad breakpoint type -> E01')
s.sendall(frame('m' + 'a' * 20000))
ack()
check(reply() == 'E01', 'overlong packet -> E01')
check(req('QStartNoAckMode') == 'OK', 'QStartNoAckMode')
noack = True
# Registers: rip (register 16) is the ELF's entry point at attach.
g = req('g')
check(len(g) == 2 * 348, 'g: 348 bytes of x86-64 registers')
check(req('p10') == struct.pack('<Q', entry).hex(), 'p10 (rip) = entry 0x%x' % entry)
check(g[16 * 16:17 * 16] == struct.pack('<Q', entry).hex(), 'rip in g = entry')
check(req('p999') == 'E00', 'p of a register that does not exist -> E00')
# Memory: code bytes as in the ELF; a hole in the address map -> E14.
check(req('m%x,8' % main) == elf_bytes(main, 8).hex(), 'm sample_main,8 = ELF bytes')
check(req('me0000000,4') == 'E14', 'm in the PCI hole (no RAM) -> E14')
check(req('M7000,4:deadbeef') == 'OK', 'M 0x7000')
check(req('m7000,4') == 'deadbeef', 'm 0x7000 reads back')
s.sendall(frame(b'X7004,2:}\x5d\x23'.replace(b'\x23', b'}\x03')))
check(reply() == 'OK', 'X with escapes')
check(req('m7004,2') == '7d23', 'X data unescaped: 7d 23')
# Threads.
check(req('qfThreadInfo') == 'm1', 'qfThreadInfo')
check(req('qsThreadInfo') == 'l', 'qsThreadInfo')
check(req('qC') == 'QC1', 'qC')
check(req('T1') == 'OK' and req('T9') == 'E01', 'T: thread 1 alive, 9 not')
# A breakpoint, no INT3 in memory, continue to it.
check(req('Z0,%x,1' % main) == 'OK', 'Z0 sample_main')
check(req('m%x,1' % main) == elf_bytes(main, 1).hex(), 'no 0xCC written into guest memory')
stop = req('vCont;c')
check(stop.startswith('T05') and 'swbreak:' in stop, 'vCont;c -> ' + stop)
check(req('p10') == struct.pack('<Q', main).hex(), 'rip = sample_main')
check(req('z0,%x,1' % main) == 'OK', 'z0')
stop = req('vCont;s:1')
check(stop.startswith('T05'), 'vCont;s -> ' + stop)
check(req('p10') != struct.pack('<Q', main).hex(), 'rip moved after a step')
# Ctrl-C while the guest runs.
s.sendall(frame('vCont;c') + b'\x03')
stop = reply()
check(stop.startswith('T02'), 'Ctrl-C -> ' + stop)
# Kill: no reply, the connection closes.
s.sendall(frame('k'))
s.settimeout(10)
rest = s.recv(100)
check(rest == b'', 'k closes the connection')
