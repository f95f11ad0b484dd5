// SPDX-License-Identifier: GPL-2.0
/*
 * Deliberately broken module for the lab self-test: proves that tools/lab/run.sh fails a run
 * whose kernel oopses or warns. Never load it outside a throwaway guest.
 *
 *   insmod lab_oops.ko            NULL dereference in init (oops -> panic -> pvpanic ends qemu)
 *   insmod lab_oops.ko mode=warn  WARN_ON(1), then loads fine (only the kernel log shows it)
 *   insmod lab_oops.ko mode=ok    loads fine (checks module installation in the guest)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/string.h>

static char *mode = "oops";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "oops (default), warn or ok");

/* volatile: the compiler must not see that it is NULL and turn the store into a trap. */
static int *volatile lab_oops_ptr;

static int __init lab_oops_init(void)
{
	if (!strcmp(mode, "ok")) {
		pr_info("loaded\n");
		return 0;
	}
	if (!strcmp(mode, "warn")) {
		WARN_ON(1);
		return 0;
	}
	if (!strcmp(mode, "oops")) {
		pr_info("dereferencing NULL\n");
		*lab_oops_ptr = 1;
		return 0;
	}
	pr_err("unknown mode %s\n", mode);
	return -EINVAL;
}

static void __exit lab_oops_exit(void)
{
}

module_init(lab_oops_init);
module_exit(lab_oops_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lab self-test: oops or warn on purpose");
