// SPDX-License-Identifier: GPL-2.0
/*
 * psb_oops: crash the kernel on demand, for pstore-blk's real-kernel tests.
 *
 * Debian's stock kernel has no LKDTM, so this tiny out-of-tree module gives
 * the harness varied, real crash texts. Write a word to
 * /sys/kernel/psb_oops/trigger FROM A CHILD PROCESS (the writer is killed):
 *
 *   null   write through a NULL pointer  -> "BUG: kernel NULL pointer dereference"
 *   gpf    write through a non-canonical pointer -> "general protection fault"
 *   bug    BUG()                          -> "kernel BUG at .../psb_oops.c"
 *   warn   WARN()                         -> a WARNING (no kmsg dump, no record)
 *   msg    printk a line (console test)   -> "psb_oops: message"
 *
 * Every crash runs in process context (the sysfs store handler), so the
 * kernel survives it (unless oops=panic) and pstore's worker can flush.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/string.h>
#include <linux/bug.h>

static struct kobject *psb_kobj;

/* Keep the compiler from proving the pointer NULL and warning or trapping. */
static int *psb_ptr(unsigned long v)
{
	int *p;

	p = (int *)v;
	OPTIMIZER_HIDE_VAR(p);
	return p;
}

static noinline void psb_do_null(void)
{
	int *p = psb_ptr(0x10);

	pr_info("psb_oops: writing through NULL+0x10\n");
	*p = 0x50534221;
}

static noinline void psb_do_gpf(void)
{
	int *p = psb_ptr(0xdead000000000100UL);

	pr_info("psb_oops: writing through a non-canonical pointer\n");
	*p = 0x50534221;
}

static noinline void psb_do_bug(void)
{
	pr_info("psb_oops: calling BUG()\n");
	BUG();
}

static ssize_t trigger_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	if (sysfs_streq(buf, "null"))
		psb_do_null();
	else if (sysfs_streq(buf, "gpf"))
		psb_do_gpf();
	else if (sysfs_streq(buf, "bug"))
		psb_do_bug();
	else if (sysfs_streq(buf, "warn"))
		WARN(1, "psb_oops: WARN requested\n");
	else if (sysfs_streq(buf, "msg"))
		pr_info("psb_oops: message\n");
	else
		return -EINVAL;
	return count;
}

static ssize_t trigger_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "null gpf bug warn msg\n");
}

static struct kobj_attribute trigger_attr = __ATTR_RW(trigger);

static int __init psb_oops_init(void)
{
	int ret;

	psb_kobj = kobject_create_and_add("psb_oops", kernel_kobj);
	if (!psb_kobj)
		return -ENOMEM;
	ret = sysfs_create_file(psb_kobj, &trigger_attr.attr);
	if (ret)
		kobject_put(psb_kobj);
	return ret;
}

static void __exit psb_oops_exit(void)
{
	kobject_put(psb_kobj);
}

module_init(psb_oops_init);
module_exit(psb_oops_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Crash the kernel on demand (pstore-blk tests)");
