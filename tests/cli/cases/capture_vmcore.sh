# capture-panic --vmcore: the log comes from the printk ring buffer of an
# ELF core file (as /proc/vmcore in a capture kernel) and is stored as
# pstore's kmsg dumper lines, with the core's CRASHTIME as dump time. The core is built here: one PT_NOTE with
# VMCOREINFO (6.1/6.12 x86_64 offsets), one PT_LOAD with the ring buffer.
. "$(dirname "$0")/common.inc"
python3 - <<'PY'
import struct
BASE, FOFF, MEM = 0xffffffff81000000, 0x1000, 0x4000
PRBV, RB, DESCS, INFOS, DATA = 0x100, 0x200, 0x400, 0x800, 0x1000
mem = bytearray(MEM)
def put(off, fmt, *v): struct.pack_into("<" + fmt, mem, off, *v)
put(PRBV, "Q", BASE + RB)
put(RB + 0, "I", 3); put(RB + 8, "Q", BASE + DESCS); put(RB + 16, "Q", BASE + INFOS)
recs = [(8, 0, 6, 1500000, "virtio_blk virtio1: [vda] 16384 blocks"),
        (9, 0, 6, 12345678901, "sysrq: Trigger a crash"),
        (10, 0, 0, 12345900000, "Kernel panic - not syncing: sysrq triggered crash\nCPU: 0 PID: 1 Comm: sh")]
put(RB + 24, "Q", recs[-1][0]); put(RB + 32, "Q", recs[0][0])
put(RB + 48, "I", 8); put(RB + 56, "Q", BASE + DATA)
lpos = 0
for seq, (rid, fac, lvl, ts, text) in enumerate(recs):
    t = text.encode(); size = (8 + len(t) + 7) // 8 * 8
    i = rid & 7
    put(DESCS + i * 24, "QQQ", (2 << 62) | rid, lpos, lpos + size)
    put(DATA + lpos, "Q", rid); mem[DATA + lpos + 8:DATA + lpos + 8 + len(t)] = t
    put(INFOS + i * 88, "QQHBBI", 100 + seq, ts, len(t), fac, lvl << 5, 0)
    lpos += size
vi = "".join("%s=%s\n" % kv for kv in [
    ("CRASHTIME", 1796183110), ("SYMBOL(prb)", "%x" % (BASE + PRBV)), ("SIZE(atomic_long_t)", 8),
    ("OFFSET(printk_ringbuffer.desc_ring)", 0), ("OFFSET(printk_ringbuffer.text_data_ring)", 48),
    ("OFFSET(prb_desc_ring.count_bits)", 0), ("OFFSET(prb_desc_ring.descs)", 8),
    ("OFFSET(prb_desc_ring.infos)", 16), ("OFFSET(prb_desc_ring.head_id)", 24),
    ("OFFSET(prb_desc_ring.tail_id)", 32), ("SIZE(prb_desc)", 24),
    ("OFFSET(prb_desc.state_var)", 0), ("OFFSET(prb_desc.text_blk_lpos)", 8),
    ("OFFSET(prb_data_blk_lpos.begin)", 0), ("OFFSET(prb_data_blk_lpos.next)", 8),
    ("SIZE(printk_info)", 88), ("OFFSET(printk_info.seq)", 0), ("OFFSET(printk_info.ts_nsec)", 8),
    ("OFFSET(printk_info.text_len)", 16), ("OFFSET(printk_info.caller_id)", 20),
    ("OFFSET(prb_data_ring.size_bits)", 0), ("OFFSET(prb_data_ring.data)", 8)]).encode()
note = struct.pack("<III", 11, len(vi), 0) + b"VMCOREINFO\0\0" + vi + b"\0" * (-len(vi) % 4)
ehdr = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, 2, 0, 0, 0)
ph_note = struct.pack("<IIQQQQQQ", 4, 0, 64 + 2 * 56, 0, 0, len(note), 0, 0)
ph_load = struct.pack("<IIQQQQQQ", 1, 7, FOFF, BASE, 0x1000000, MEM, MEM, 0)
core = bytearray(ehdr + ph_note + ph_load + note)
core += b"\0" * (FOFF - len(core)) + mem
open("vmcore", "wb").write(core)
PY
fixture 6.1.0-56-amd64-oops-gpt
img=6.1.0-56-amd64-oops-gpt.img
"$PSB" capture-panic $img --vmcore vmcore 2>&1
"$PSB" list $img --json | python3 -c '
import json, sys
r = json.load(sys.stdin)["records"][2]
print(r["name"], r["reason"], r["counter"], r["time_sec"], "(CRASHTIME)")'
"$PSB" show $img dmesg-pstore_blk-2
echo "== refused: not a core, both sources"
checksum_guard $img "$PSB" capture-panic $img --vmcore $img 2>&1; echo "exit $?"
checksum_guard $img "$PSB" capture-panic $img --vmcore vmcore --log vmcore 2>&1; echo "exit $?"
