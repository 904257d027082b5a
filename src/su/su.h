/* su.h — the SU library (libsu): everything secd (role su) needs from src/su. */
#ifndef SEC_SU_SU_H
#define SEC_SU_SU_H

#include "su/cmd.h"
#include "su/iocfg.h"
#include "su/lm.h"
#include "su/model.h"
#include "su/monjv.h"
#include "su/msgcat.h"
#include "su/vmstate.h"

#endif
