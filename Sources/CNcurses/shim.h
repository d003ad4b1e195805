#ifndef VIZOR_CNCURSES_SHIM_H
#define VIZOR_CNCURSES_SHIM_H
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

/* Swift cannot import C macros with arguments nor mutable C globals under
   strict concurrency; these accessors are the only way the TUI reaches them. */
static inline WINDOW *vz_stdscr(void) { return stdscr; }
static inline int vz_lines(void) { return LINES; }
static inline int vz_cols(void) { return COLS; }
static inline int vz_colors(void) { return COLORS; }
static inline int vz_color_pairs(void) { return COLOR_PAIRS; }
static inline int vz_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int vz_key_f(int n) { return KEY_F(n); }
static inline int vz_wcwidth(wchar_t c) { return wcwidth(c); }
static inline void vz_getmaxyx(WINDOW *w, int *y, int *x) { int yy, xx; getmaxyx(w, yy, xx); *y = yy; *x = xx; }
static inline attr_t vz_a_normal(void) { return A_NORMAL; }
static inline attr_t vz_a_bold(void) { return A_BOLD; }
static inline attr_t vz_a_dim(void) { return A_DIM; }
static inline attr_t vz_a_reverse(void) { return A_REVERSE; }
static inline attr_t vz_a_underline(void) { return A_UNDERLINE; }
static inline attr_t vz_a_standout(void) { return A_STANDOUT; }
static inline void vz_set_escdelay(int ms) { set_escdelay(ms); }

#endif
