/*
 * tour.h - the parts of samples/tour that talk to each other.
 */
#ifndef SAMPLES_TOUR_TOUR_H
#define SAMPLES_TOUR_TOUR_H

#include <stdint.h>

extern uint32_t tour_mb_magic, tour_mb_info; /* saved by entry.S */

int tour_main(void);	      /* main.c: long mode, CPUID, the end */
void tour_instructions(void); /* insns.c: a few instructions, explained */
void tour_exceptions(void);   /* faults.c: #BP, #UD, #DE, #PF on purpose */

#endif
