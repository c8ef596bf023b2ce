#!/usr/bin/env python3
"""Prints "tv_sec tv_nsec" for every pstore/zone kmsg header in an image,
decoded here by hand, independently of the C++ decoder, so the golden test
can check extracted dmesg mtimes to the nanosecond.

ABI x86_64 (the default) or i386, the ABIs of the kernel fixtures: struct psz_buffer
(fs/pstore/zone.c) is u32 sig = PSZ_SIG (0x43474244) ^ PSTORE_TYPE_DMESG (0),
atomic_t datalen, atomic_t start, then data[] holding struct
psz_kmsg_header: u32 magic (0x4dfc3ae5) at data+0, struct timespec64 time
at data+8 (s64 tv_sec, long tv_nsec at data+16), little-endian. On i386
s64 is 4-byte aligned and long is 4 bytes: tv_sec at data+4, tv_nsec (s32)
at data+12.
Usage: kmsg_times.py IMAGE [x86_64|i386]
"""
import struct
import sys

SIG = struct.pack('<I', 0x43474244)
MAGIC = struct.pack('<I', 0x4dfc3ae5)

# ABI -> (offset of tv_sec, offset of tv_nsec, struct format of tv_nsec)
LAYOUT = {'x86_64': (8, 16, '<q'), 'i386': (4, 12, '<i')}
sec_at, nsec_at, nsec_fmt = LAYOUT[sys.argv[2] if len(sys.argv) > 2 else 'x86_64']

data = open(sys.argv[1], 'rb').read()
pos = data.find(SIG)
while pos != -1:
    hdr = pos + 12
    if data[hdr:hdr + 4] == MAGIC and hdr + nsec_at + 8 <= len(data):
        (sec,) = struct.unpack_from('<q', data, hdr + sec_at)
        (nsec,) = struct.unpack_from(nsec_fmt, data, hdr + nsec_at)
        print(sec, nsec)
    pos = data.find(SIG, pos + 1)
