/* banned.h - functions shiplog does not use, made compile errors.
 * Included in every translation unit by the Makefile. They either cannot
 * bound their output or keep hidden state; use snprintf, memcpy with a
 * checked length, or strtok_r instead. */
#ifndef SL_BANNED_H
#define SL_BANNED_H

#define SL_BANNED(func) sorry_##func##_is_banned_in_shiplog

#undef strcpy
#define strcpy(x, y) SL_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SL_BANNED(strcat)
#undef sprintf
#define sprintf(...) SL_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SL_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) SL_BANNED(strtok)
#undef gets
#define gets(x) SL_BANNED(gets)

#endif
