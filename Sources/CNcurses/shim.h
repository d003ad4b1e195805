#ifndef VIZOR_CNCURSES_SHIM_H
#define VIZOR_CNCURSES_SHIM_H
/* Wide-character curses: without this, cchar_t, wget_wch, setcchar and the
   other wide declarations do not exist in the Swift import. */
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <wchar.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <ncursesw/curses.h>

/* Swift cannot import C macros with arguments nor mutable C globals under
   strict concurrency; these accessors are the only way the TUI reaches them. */
static inline WINDOW *vz_stdscr(void) { return stdscr; }
static inline WINDOW *vz_curscr(void) { return curscr; }
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
static inline int vz_setlocale_from_environment(void) { return setlocale(LC_ALL, "") != NULL; }

/* Mouse reporting, off unless the operator enables it: a button-1 release
   (a click) and the wheel, reported at once (no click interval). Turning it
   off passes an empty mask, so ncurses sends the terminal no mouse escape
   sequence at all. Returns whether reporting is now on. */
static inline int vz_set_mouse(int on) {
    mmask_t old = 0;
    mmask_t wanted = on ? (BUTTON1_RELEASED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED) : 0;
    mmask_t got = mousemask(wanted, &old);
    if (on) mouseinterval(0);
    return got != 0;
}
static inline int vz_key_mouse(void) { return KEY_MOUSE; }
/* The pending mouse event: kind 1 click, 4 wheel up, 5 wheel down, 0 other. */
static inline int vz_get_mouse(int *x, int *y, int *kind) {
    MEVENT event;
    if (getmouse(&event) != OK) return ERR;
    *x = event.x;
    *y = event.y;
    if (event.bstate & (BUTTON1_RELEASED | BUTTON1_CLICKED)) *kind = 1;
    else if (event.bstate & BUTTON4_PRESSED) *kind = 4;
    else if (event.bstate & BUTTON5_PRESSED) *kind = 5;
    else *kind = 0;
    return OK;
}

/* newterm on the process's stdin/stdout: unlike initscr it returns NULL
   instead of exiting when the terminal cannot be used. */
static inline SCREEN *vz_newterm(void) { return newterm(NULL, stdout, stdin); }

/* One wide character with attributes and a colour pair, written at (y, x). */
static inline int vz_put_wch(WINDOW *w, int y, int x, const wchar_t *chars, attr_t attrs, short pair) {
    cchar_t cell;
    if (setcchar(&cell, chars, attrs, pair, NULL) != OK) return ERR;
    return mvwadd_wch(w, y, x, &cell);
}

/* Reads one key without blocking: returns OK (a character in *out),
   KEY_CODE_YES (a KEY_* code in *out) or ERR. */
static inline int vz_get_wch(WINDOW *w, unsigned int *out) {
    wint_t c = 0;
    int r = wget_wch(w, &c);
    *out = (unsigned int)c;
    return r;
}

/* Restores the terminal if curses still owns it; safe to call twice. */
static inline void vz_restore_terminal(void) {
    if (stdscr != NULL && !isendwin()) { endwin(); }
}

/* Crash path: on a fatal signal, give the terminal back before the previous
   handler (e.g. Swift's backtracer) or the default action runs. */
static inline struct sigaction *vz_previous_actions(void) {
    static struct sigaction saved[32];
    return saved;
}
static void vz_fatal_signal(int sig) {
    vz_restore_terminal();
    fflush(stdout);
    if (sig > 0 && sig < 32) sigaction(sig, &vz_previous_actions()[sig], NULL);
    raise(sig);
}
static inline void vz_install_fatal_handlers(void) {
    int signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP };
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = vz_fatal_signal;
    action.sa_flags = SA_NODEFER;
    sigemptyset(&action.sa_mask);
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaction(signals[i], &action, &vz_previous_actions()[signals[i]]);
    }
}
static inline void vz_atexit_restore(void) { atexit(vz_restore_terminal); }

#endif
