/* syntax.c — the SDF syntax of the VM2000 commands (vm2000.md §4 first set). Operands, value
 * types, ranges and defaults follow vm2000-facts.md §1 (section named per command); where
 * the facts say NOT FOUND the choice is ours and listed in docs/decisions.md "SDF syntax of
 * the VM2000 commands". Operands are in the order of the manual, which is also the order of
 * positional operands. Our subset: the operands the SU implements or the issues use. */
#include "su/syntax.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define KW(k) {.type = SDF_T_KEYWORD, .keyword = (k)}
#define KWL(k) {.type = SDF_T_KEYWORD, .keyword = (k), .flags = SDF_F_LIST}
#define KWS(k, s) {.type = SDF_T_KEYWORD, .keyword = (k), .sub = (s), .n_sub = N(s)}
#define KWSL(k, s) {.type = SDF_T_KEYWORD, .keyword = (k), .sub = (s), .n_sub = N(s), .flags = SDF_F_LIST}
#define INT(a, b) {.type = SDF_T_INTEGER, .min = (a), .max = (b)}
#define NAME(a, b) {.type = SDF_T_NAME, .min = (a), .max = (b)}
#define ALNUM(a, b) {.type = SDF_T_ALNUM_NAME, .min = (a), .max = (b)}
#define XTEXT(a, b) {.type = SDF_T_X_TEXT, .min = (a), .max = (b)}
#define FIXED(a, b) {.type = SDF_T_FIXED, .min = (a), .max = (b)} /* × 100 */
#define CSTR(a, b) {.type = SDF_T_C_STRING, .min = (a), .max = (b)}
#define XSTR(a, b) {.type = SDF_T_X_STRING, .min = (a), .max = (b)}
#define FILENAME(a, b) {.type = SDF_T_FILENAME, .min = (a), .max = (b)}
#define COMPOSED(a, b) {.type = SDF_T_COMPOSED_NAME, .min = (a), .max = (b)}
/* <alphanum-name 1..4 with-wild(20)>: an MN or an MN pattern, element of a list */
#define MN_PATTERN {.type = SDF_T_ALNUM_NAME, .min = 1, .max = 4, .flags = SDF_F_WILD | SDF_F_LIST}

#define OP(n, a, d) {.name = (n), .alt = (a), .n_alt = N(a), .def = (d)}
#define OPL(n, a, d, l) {.name = (n), .alt = (a), .n_alt = N(a), .def = (d), .list_max = (l)}
#define CMD(n, i, o) [(i) - 1] = {.name = (n), .id = (i), .ops = (o), .n_ops = N(o)}

/* ---- shared values ---- */

static const struct sdf_value_def v_yes_no[] = {KW("*NO"), KW("*YES")};
static const struct sdf_value_def v_unch_no_yes[] = {KW("*UNCHANGED"), KW("*NO"), KW("*YES")};
static const struct sdf_value_def v_vm_name[] = {NAME(1, 8)};
static const struct sdf_value_def v_vm_index[] = {KW("*ANY"), INT(2, 99)};
static const struct sdf_value_def v_vm_index_unch[] = {KW("*UNCHANGED"), KW("*ANY"), INT(2, 99)};
static const struct sdf_value_def v_vm_id[] = {INT(1, 99), NAME(1, 8)};
static const struct sdf_value_def v_vm_id_cur[] = {KW("*CURRENT"), INT(1, 99), NAME(1, 8)};
static const struct sdf_value_def v_vm_id_cur_all[] = {KW("*CURRENT"), KW("*ALL"), INT(1, 99),
						       NAME(1, 8)};
static const struct sdf_value_def v_mn[] = {ALNUM(2, 2), XTEXT(4, 4)};
static const struct sdf_value_def v_mn_std[] = {KW("*STD"), ALNUM(2, 2), XTEXT(4, 4)};

/* MEMORY-SIZE = <integer 1..1048576>(DIMENSION = *MEGABYTE / *GIGABYTE) (facts §1.2) */
static const struct sdf_value_def v_dimension[] = {KW("*MEGABYTE"), KW("*GIGABYTE")};
static const struct sdf_operand_def s_memory[] = {OP("DIMENSION", v_dimension, "*MEGABYTE")};
#define MEMORY {.type = SDF_T_INTEGER, .min = 1, .max = 1048576, .sub = s_memory, .n_sub = N(s_memory)}
static const struct sdf_value_def v_memory[] = {MEMORY};
static const struct sdf_value_def v_memory_unch[] = {KW("*UNCHANGED"), MEMORY};

/* PROCESSOR = *MONO / *MULTI(CPU-NUMBER = <integer 2..64>) (facts §1.3 "*MONO…"; ours) */
static const struct sdf_value_def v_cpu_number[] = {INT(2, 64)};
static const struct sdf_operand_def s_multi[] = {OP("CPU-NUMBER", v_cpu_number, NULL)};
static const struct sdf_value_def v_processor[] = {KW("*MONO"), KWS("*MULTI", s_multi)};
static const struct sdf_value_def v_processor_unch[] = {KW("*UNCHANGED"), KW("*MONO"),
							KWS("*MULTI", s_multi)};
static const struct sdf_value_def v_cpu_quota[] = {KW("*STD"), FIXED(1, 9999)};
static const struct sdf_value_def v_cpu_quota_unch[] = {KW("*UNCHANGED"), FIXED(1, 9999)};
static const struct sdf_value_def v_pool[] = {KW("*STDPOOL"), NAME(1, 8)};
static const struct sdf_value_def v_pool_unch[] = {KW("*UNCHANGED"), KW("*STDPOOL"), NAME(1, 8)};
static const struct sdf_value_def v_group[] = {KW("*NONE"), NAME(1, 8)};
static const struct sdf_value_def v_group_unch[] = {KW("*UNCHANGED"), KW("*NONE"), NAME(1, 8)};

/* MONJV and JV-PASSWORD (facts §1.2, §1.8) */
static const struct sdf_value_def v_monjv[] = {KW("*NONE"), FILENAME(1, 54)};
static const struct sdf_value_def v_jv_password[] = {KW("*NONE"), CSTR(1, 4), XSTR(1, 8),
						     INT(-2147483647, 2147483647)};
static const struct sdf_value_def v_server[] = {KW("*UNIQUE"), COMPOSED(1, 64)};

/* Devices. *DEVICE-RANGE(FROM, TO) of ADD/REMOVE-VM-DEVICES and SHOW-VM-RESOURCES (facts
 * §1.16); in VM definitions also USAGE (issue 7: *ADD(UNITS=*DEVICE-RANGE(FROM,TO,USAGE))). */
static const struct sdf_operand_def s_range[] = {
	OP("FROM", v_mn, NULL),
	OP("TO", v_mn, NULL),
};
static const struct sdf_value_def v_usage[] = {KW("*EXCLUSIVE"), KW("*SHARED")};
static const struct sdf_value_def v_usage_std[] = {KW("*STD"), KW("*EXCLUSIVE"), KW("*SHARED")};
static const struct sdf_operand_def s_range_usage[] = {
	OP("FROM", v_mn, NULL),
	OP("TO", v_mn, NULL),
	OP("USAGE", v_usage_std, "*STD"),
};
static const struct sdf_value_def v_units_def[] = {KWSL("*DEVICE-RANGE", s_range_usage),
						   MN_PATTERN};
static const struct sdf_operand_def s_dev_params[] = {
	OPL("UNITS", v_units_def, NULL, 28),
	OP("USAGE", v_usage, "*EXCLUSIVE"),
};
static const struct sdf_value_def v_units_def_rem[] = {KW("*ALL"), KWSL("*DEVICE-RANGE", s_range),
						       MN_PATTERN};
static const struct sdf_operand_def s_dev_remove[] = {OPL("UNITS", v_units_def_rem, NULL, 28)};
static const struct sdf_value_def v_devices[] = {KW("*NONE"), KWS("*PARAMETERS", s_dev_params)};
static const struct sdf_value_def v_devices_mod[] = {KW("*UNCHANGED"), KWS("*ADD", s_dev_params),
						     KWS("*REMOVE", s_dev_remove)};

/* UNITS of ADD/REMOVE-VM-DEVICES (facts §1.16, §1.17) */
static const struct sdf_operand_def s_pubres[] = {OP("UNIT", v_mn, NULL)};
static const struct sdf_value_def v_pubset[] = {KWS("*BY-PUBRES-DEVICE", s_pubres), ALNUM(1, 4)};
static const struct sdf_operand_def s_pubset_devices[] = {OP("PUBSET", v_pubset, NULL)};
static const struct sdf_value_def v_units_add[] = {KWS("*PUBSET-DEVICES", s_pubset_devices),
						   KWSL("*DEVICE-RANGE", s_range), MN_PATTERN};
static const struct sdf_value_def v_check_yes[] = {KW("*YES"), KW("*NO")};
static const struct sdf_operand_def s_all_check[] = {OP("CHECK-VM-STATE", v_check_yes, "*YES")};
static const struct sdf_value_def v_units_remove[] = {KWS("*ALL", s_all_check),
						      KWS("*PUBSET-DEVICES", s_pubset_devices),
						      KWSL("*DEVICE-RANGE", s_range), MN_PATTERN};
static const struct sdf_value_def v_units_show[] = {KW("*ALL"), KWSL("*DEVICE-RANGE", s_range),
						    MN_PATTERN};
static const struct sdf_value_def v_dev_type[] = {KW("*NONE"), KW("*SD"), KW("*VC")};
static const struct sdf_operand_def s_force_no[] = {OP("WAIT-FOR-UNASSIGN", v_yes_no, "*NO")};
static const struct sdf_value_def v_force[] = {KWS("*NO", s_force_no), KW("*YES")};

/* ---- the commands ---- */

static const struct sdf_operand_def o_create_vm[] = { /* facts §1.2, §1.3 */
	OP("VM-NAME", v_vm_name, NULL),
	OP("VM-INDEX", v_vm_index, "*ANY"),
	OP("MEMORY-SIZE", v_memory, NULL),
	OP("PROCESSOR", v_processor, "*MONO"),
	OP("CPU-QUOTA", v_cpu_quota, "*STD"),
	OP("CPU-POOL-NAME", v_pool, "*STDPOOL"),
	OP("VM-GROUP-NAME", v_group, "*NONE"),
	OP("DEVICES", v_devices, "*NONE"),
	OP("PERSISTENT", v_yes_no, "*NO"),
	OP("MONJV", v_monjv, "*NONE"),
	OP("JV-PASSWORD", v_jv_password, "*NONE"),
};

static const struct sdf_operand_def o_create_def[] = { /* facts §1.3 */
	OP("VM-NAME", v_vm_name, NULL),
	OP("VM-INDEX", v_vm_index, "*ANY"),
	OP("MEMORY-SIZE", v_memory, NULL),
	OP("PROCESSOR", v_processor, "*MONO"),
	OP("CPU-QUOTA", v_cpu_quota, "*STD"),
	OP("CPU-POOL-NAME", v_pool, "*STDPOOL"),
	OP("VM-GROUP-NAME", v_group, "*NONE"),
	OP("DEVICES", v_devices, "*NONE"),
};

static const struct sdf_operand_def o_modify_def[] = { /* facts §1.4 */
	OP("VM-NAME", v_vm_name, NULL),
	OP("VM-INDEX", v_vm_index_unch, "*UNCHANGED"),
	OP("MEMORY-SIZE", v_memory_unch, "*UNCHANGED"),
	OP("PROCESSOR", v_processor_unch, "*UNCHANGED"),
	OP("CPU-QUOTA", v_cpu_quota_unch, "*UNCHANGED"),
	OP("CPU-POOL-NAME", v_pool_unch, "*UNCHANGED"),
	OP("VM-GROUP-NAME", v_group_unch, "*UNCHANGED"),
	OP("DEVICES", v_devices_mod, "*UNCHANGED"),
	OP("PERSISTENT", v_unch_no_yes, "*UNCHANGED"),
};

static const struct sdf_operand_def o_activate_def[] = { /* facts §1.5 (ours) */
	OP("VM-NAME", v_vm_name, NULL),
	OP("MONJV", v_monjv, "*NONE"),
	OP("JV-PASSWORD", v_jv_password, "*NONE"),
};

static const struct sdf_operand_def o_vm_name_only[] = { /* facts §1.7 (ours) */
	OP("VM-NAME", v_vm_name, NULL),
};

static const struct sdf_value_def v_show_def_name[] = {
	KW("*ALL"), {.type = SDF_T_NAME, .min = 1, .max = 8, .flags = SDF_F_WILD}};
static const struct sdf_value_def v_show_def_info[] = {KW("*STD"), KW("*CPU"), KW("*MEMORY"),
						       KW("*PRIVILEGES"), KW("*IPL"),
						       KW("*UNITS"), KW("*ALL")};
static const struct sdf_operand_def o_show_def[] = { /* facts §1.6 */
	OP("VM-NAME", v_show_def_name, "*ALL"),
	OP("INFORMATION", v_show_def_info, "*STD"),
};

static const struct sdf_value_def v_main_console[] = {KW("*STD"),
						      {.type = SDF_T_ALNUM_NAME, .min = 2, .max = 2,
						       .flags = SDF_F_LIST}};
static const struct sdf_value_def v_info_byte[] = {KW("*FAST"), KW("*AUTOMATIC"), KW("*DIALOG")};
static const struct sdf_value_def v_params[] = {KW("*NONE"), ALNUM(1, 8)};
static const struct sdf_operand_def o_start_vm[] = { /* facts §1.12 */
	OP("IPL-UNIT", v_mn_std, "*STD"),
	OPL("MAIN-CONSOLE", v_main_console, "*STD", 2),
	OP("HOLD", v_yes_no, "*NO"),
	OP("DIAGNOSTIC-IPL", v_yes_no, "*NO"),
	OP("INFORMATION-BYTE", v_info_byte, "*FAST"),
	OP("PARAMS", v_params, "*NONE"),
	OP("CLEAR-MEMORY", v_yes_no, "*NO"),
	OP("UNLOCK-SAVEAREA", v_yes_no, "*NO"),
	OP("VM-IDENTIFICATION", v_vm_id_cur, "*CURRENT"),
	OP("CHECK-VM-STATE", v_check_yes, "*YES"),
};

/* SHUTDOWN-VM VM-IDENTIFICATION=*VM2000(WAITING-TIME, ACTION=*SHUTDOWN(QUIET-TIME) or *ENTER-JOB) */
static const struct sdf_value_def v_quiet[] = {INT(0, 60)};
static const struct sdf_operand_def s_action_shutdown[] = {OP("QUIET-TIME", v_quiet, "0")};
static const struct sdf_value_def v_action[] = {KWS("*SHUTDOWN", s_action_shutdown),
						KW("*ENTER-JOB")};
static const struct sdf_value_def v_waiting[] = {KW("*UNLIMITED"), INT(1, 60)};
static const struct sdf_operand_def s_vm2000[] = {
	OP("WAITING-TIME", v_waiting, "*UNLIMITED"),
	OP("ACTION", v_action, "*SHUTDOWN"),
};
static const struct sdf_value_def v_vm_id_shutdown[] = {KW("*CURRENT"), KWS("*VM2000", s_vm2000),
							KW("*VM-GUESTS"), INT(1, 99),
							NAME(1, 8)};
static const struct sdf_operand_def o_shutdown_vm[] = { /* facts §1.13 */
	OP("VM-IDENTIFICATION", v_vm_id_shutdown, "*CURRENT"),
};

static const struct sdf_operand_def o_delete_vm[] = { /* facts §1.15 */
	OP("VM-IDENTIFICATION", v_vm_id_cur_all, "*CURRENT"),
	OP("CHECK-VM-STATE", v_check_yes, "*YES"),
};

static const struct sdf_operand_def o_hold_resume[] = { /* facts §1.14 */
	OP("VM-IDENTIFICATION", v_vm_id_cur_all, "*CURRENT"),
};

static const struct sdf_operand_def o_add_devices[] = { /* facts §1.16 */
	OPL("UNITS", v_units_add, NULL, 28),
	OP("VM-IDENTIFICATION", v_vm_id, NULL),
	OP("TYPE", v_dev_type, "*NONE"),
};

static const struct sdf_operand_def o_remove_devices[] = { /* facts §1.17 */
	OPL("UNITS", v_units_remove, NULL, 28),
	OP("VM-IDENTIFICATION", v_vm_id_cur, "*CURRENT"),
	OP("FORCE", v_force, "*NO"),
};

static const struct sdf_operand_def s_member_quota[] = {OP("MEMBER-CPU-QUOTA", v_cpu_quota_unch,
							    "*UNCHANGED")};
static const struct sdf_value_def v_cpu_quota_attr[] = {KW("*UNCHANGED"), FIXED(1, 9999),
							KWS("*BY-VM-GROUP", s_member_quota)};
static const struct sdf_value_def v_max_cpu[] = {KW("*UNCHANGED"), FIXED(1, 10000)};
static const struct sdf_value_def v_max_io[] = {KW("*UNCHANGED"), INT(1, 100)};
static const struct sdf_value_def v_password[] = {KW("*UNCHANGED"), KW("*NONE"), CSTR(1, 8),
						  XSTR(1, 16)};
static const struct sdf_value_def v_admin_priv[] = {KW("*UNCHANGED"), KW("*STD"), KW("*MINIMUM"),
						    KW("*MAXIMUM")};
static const struct sdf_operand_def o_modify_attr[] = { /* facts §1.19 */
	OP("VM-IDENTIFICATION", v_vm_id, NULL),
	OP("CPU-QUOTA", v_cpu_quota_attr, "*UNCHANGED"),
	OP("MAX-CPU-UTILIZATION", v_max_cpu, "*UNCHANGED"),
	OP("MAX-IO-UTILIZATION", v_max_io, "*UNCHANGED"),
	OP("PASSWORD", v_password, "*UNCHANGED"),
	OP("ADMIN-PRIVILEGES", v_admin_priv, "*UNCHANGED"),
	OP("PERSISTENT", v_unch_no_yes, "*UNCHANGED"),
};

static const struct sdf_value_def v_res_info[] = {KW("*STD"), KW("*CPU"), KW("*UNITS"),
						  KW("*MEMORY"), KW("*MONJV"), KW("*PRIVILEGES"),
						  KW("*CONFIGURATION"), KW("*ALL")};
static const struct sdf_value_def v_res_type[] = {KW("*ANY"), KW("*SD"), KW("*VC")};
static const struct sdf_operand_def o_show_resources[] = { /* facts §1.20 */
	OP("INFORMATION", v_res_info, "*STD"),
	OPL("UNITS", v_units_show, "*ALL", 28),
	OP("TYPE", v_res_type, "*ANY"),
};

static const struct sdf_value_def v_attr_info[] = {KW("*STD"), KW("*CPU"), KW("*UNITS"),
						   KW("*MEMORY"), KW("*MONJV"), KW("*PRIVILEGES"),
						   KW("*ALL")};
static const struct sdf_value_def v_attr_type[] = {KW("*ALL"), KW("*SD"), KW("*VC")};
static const struct sdf_operand_def s_by_group[] = {OP("VM-GROUP-NAME", v_vm_name, NULL)};
static const struct sdf_operand_def s_by_pool[] = {OP("CPU-POOL-NAME", v_pool, "*STDPOOL")};
static const struct sdf_value_def v_vm_id_attr[] = {
	KW("*CURRENT"),
	KW("*VM2000"),
	INT(1, 99),
	{.type = SDF_T_NAME, .min = 1, .max = 8, .flags = SDF_F_WILD},
	KWS("*BY-VM-GROUP", s_by_group),
	KWS("*BY-CPU-POOL", s_by_pool),
};
static const struct sdf_operand_def o_show_attr[] = { /* facts §1.20 */
	OP("INFORMATION", v_attr_info, "*STD"),
	OP("TYPE", v_attr_type, "*ALL"),
	OP("VM-IDENTIFICATION", v_vm_id_attr, "*CURRENT"),
};

static const struct sdf_operand_def o_check_migration[] = { /* facts §1.9 */
	OP("VM-IDENTIFICATION", v_vm_id, NULL),
	OP("SERVER-UNIT-NAME", v_server, "*UNIQUE"),
};

static const struct sdf_operand_def o_migrate_vm[] = { /* facts §1.8 */
	OP("VM-IDENTIFICATION", v_vm_id, NULL),
	OP("SERVER-UNIT-NAME", v_server, "*UNIQUE"),
	OP("MONJV", v_monjv, "*NONE"),
	OP("JV-PASSWORD", v_jv_password, "*NONE"),
};

static const struct sdf_operand_def o_name_server[] = { /* facts §1.10, §1.11 */
	OP("VM-NAME", v_vm_name, NULL),
	OP("SERVER-UNIT-NAME", v_server, "*UNIQUE"),
};

static const struct sdf_value_def v_jv_name[] = {FILENAME(1, 54)};
static const struct sdf_operand_def o_show_jv[] = { /* facts §4.3: syntax NOT FOUND (ours) */
	OP("JV-NAME", v_jv_name, NULL),
};

static const struct sdf_operand_def o_vm_id_cur[] = { /* ours (vm2000.md §4: a VM-ID operand) */
	OP("VM-IDENTIFICATION", v_vm_id_cur, "*CURRENT"),
};

/* BS2000 /SHOW-SYSTEM-INFORMATION SERVER-UNIT (seed 4.5: *CURRENT shown; *STD = by the
 * system parameter MIGHOST, *IPL ours for symmetry) with our VM-ID operand */
static const struct sdf_value_def v_server_unit[] = {KW("*STD"), KW("*IPL"), KW("*CURRENT")};
static const struct sdf_operand_def o_show_sysinfo[] = {
	OP("VM-IDENTIFICATION", v_vm_id_cur, "*CURRENT"),
	OP("SERVER-UNIT", v_server_unit, "*STD"),
};

static const struct sdf_value_def v_msg_id[] = {ALNUM(7, 7)};
static const struct sdf_value_def v_info_level[] = {KW("*MAXIMUM"), KW("*MEDIUM"), KW("*MINIMUM")};
static const struct sdf_operand_def o_help_msg[] = { /* ours, after BS2000 HELP-MSG-INFORMATION */
	OP("MSG-IDENTIFICATION", v_msg_id, NULL),
	OP("INFORMATION-LEVEL", v_info_level, "*MAXIMUM"),
};

const struct sdf_command_def su_syntax[] = {
	CMD("CREATE-VM", SU_CMD_CREATE_VM, o_create_vm),
	CMD("CREATE-VM-DEFINITION", SU_CMD_CREATE_VM_DEFINITION, o_create_def),
	CMD("MODIFY-VM-DEFINITION", SU_CMD_MODIFY_VM_DEFINITION, o_modify_def),
	CMD("ACTIVATE-VM-DEFINITION", SU_CMD_ACTIVATE_VM_DEFINITION, o_activate_def),
	CMD("DELETE-VM-DEFINITION", SU_CMD_DELETE_VM_DEFINITION, o_vm_name_only),
	CMD("SHOW-VM-DEFINITION", SU_CMD_SHOW_VM_DEFINITION, o_show_def),
	CMD("START-VM", SU_CMD_START_VM, o_start_vm),
	CMD("SHUTDOWN-VM", SU_CMD_SHUTDOWN_VM, o_shutdown_vm),
	CMD("DELETE-VM", SU_CMD_DELETE_VM, o_delete_vm),
	CMD("HOLD-VM", SU_CMD_HOLD_VM, o_hold_resume),
	CMD("RESUME-VM", SU_CMD_RESUME_VM, o_hold_resume),
	CMD("ADD-VM-DEVICES", SU_CMD_ADD_VM_DEVICES, o_add_devices),
	CMD("REMOVE-VM-DEVICES", SU_CMD_REMOVE_VM_DEVICES, o_remove_devices),
	CMD("MODIFY-VM-ATTRIBUTES", SU_CMD_MODIFY_VM_ATTRIBUTES, o_modify_attr),
	CMD("SHOW-VM-RESOURCES", SU_CMD_SHOW_VM_RESOURCES, o_show_resources),
	CMD("SHOW-VM-ATTRIBUTES", SU_CMD_SHOW_VM_ATTRIBUTES, o_show_attr),
	CMD("CHECK-VM-MIGRATION", SU_CMD_CHECK_VM_MIGRATION, o_check_migration),
	CMD("MIGRATE-VM", SU_CMD_MIGRATE_VM, o_migrate_vm),
	CMD("MIGRATE-VM-DEFINITION", SU_CMD_MIGRATE_VM_DEFINITION, o_name_server),
	CMD("RECOVER-VM-DEFINITION", SU_CMD_RECOVER_VM_DEFINITION, o_name_server),
	CMD("SHOW-JV", SU_CMD_SHOW_JV, o_show_jv),
	CMD("SHOW-SYSTEM-INFORMATION", SU_CMD_SHOW_SYSTEM_INFORMATION, o_show_sysinfo),
	CMD("SHOW-LIVE-MIGRATION-HISTORY", SU_CMD_SHOW_LIVE_MIGRATION_HISTORY, o_vm_id_cur),
	CMD("HELP-MSG-INFORMATION", SU_CMD_HELP_MSG_INFORMATION, o_help_msg),
};

const size_t su_syntax_n = N(su_syntax);

_Static_assert(N(su_syntax) == SU_CMD_MAX - 1, "one syntax entry per enum su_cmd_id");

const char *su_cmd_id_to_string(enum su_cmd_id id)
{
	return id > 0 && id < SU_CMD_MAX ? su_syntax[id - 1].name : "?";
}
