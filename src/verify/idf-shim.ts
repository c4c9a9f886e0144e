// Host check of a generated ESP-IDF project without ESP-IDF: a small stand-in IDF_PATH (written to a temporary
// folder) whose tools/cmake/project.cmake implements, in plain CMake for the host compiler, the part of the
// ESP-IDF build system the generated CMakeLists files use:
//   - `include($ENV{IDF_PATH}/tools/cmake/project.cmake)` + `project(NAME)` (project() is overridden, as ESP-IDF does)
//   - component discovery: main/ and components/*/ (a folder with a CMakeLists.txt), the folder name is the component
//   - idf_component_register(SRCS SRC_DIRS EXCLUDE_SRCS INCLUDE_DIRS PRIV_INCLUDE_DIRS REQUIRES PRIV_REQUIRES ...):
//     one static library `__idf_NAME` per component (INTERFACE when it has no sources), INCLUDE_DIRS public,
//     REQUIRES linked public, PRIV_REQUIRES private, ${COMPONENT_LIB} set for the caller; an unknown argument, a
//     missing source file or include folder, or a required component that does not exist is a configure error
//   - stub IDF components: esp_timer (esp_timer.h), log (esp_log.h), freertos (FreeRTOS.h, task.h), esp_system
//     (esp_system.h), esp_common (esp_err.h, esp_attr.h), heap (esp_heap_caps.h) and empty newlib, soc, hal,
//     esp_rom, esp_hw_support, cxx. Like ESP-IDF, the "common" ones are implicit requirements of every component;
//     esp_timer is not (a component that includes esp_timer.h must REQUIRE it)
//   - sdkconfig.defaults must exist; its CONFIG_ lines become build/config/sdkconfig.h and CMake variables
//   - idf_component.yml: its `espressif/esp-nn` dependency is resolved, as the IDF component manager would, to a
//     managed component `espressif__esp-nn` added to the declaring component's requirements; on the host that
//     component is espforge's ESP-NN test double (src/verify/espnn-double.ts). Other dependencies are ignored.
//   - the executable NAME.elf runs app_main() from main() and returns
// Every C source (components and stubs) is compiled with ESP-IDF's own C options (-std=gnu17, -Werror=all and
// its exceptions; DEFAULT_SHIM_C_OPTIONS, configurable). It is a SMOKE TEST, not ESP-IDF: reports label it so.
//   - idf_build_set_property(MINIMAL_BUILD ...) and IDF_VERSION_MAJOR/MINOR/PATCH (5.5.5) before project()
//
// checkIdfProjectOnHost(dir) configures, builds and runs it and requires main/app_main.c's PASS line.
// Diagnostics: cmake or gcc missing → EF4002; configure or build failure (or timeout) → EF4003 with the first
// error lines; a crash, a FAIL line or no PASS line → EF4004.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { diag, toDiagnostics, type Diagnostic } from '../diagnostics.js';
import { hasTool, run } from './toolchain.js';
import { espnnDoubleFiles } from './espnn-double.js';

/** ESP-IDF's own C options (tools/cmake/build.cmake of v5.x: `-std=gnu17` for C, warnings as errors for -Wall
 * only, with its -Wno-error exceptions), so that the stand-in accepts neither more nor less than ESP-IDF on these
 * points. The generated library is separately held to -std=c99 -Wall -Wextra -Werror by the host verification. */
export const DEFAULT_SHIM_C_OPTIONS = [
  '-std=gnu17',
  '-Wall',
  '-Werror=all',
  '-Wno-error=unused-function',
  '-Wno-error=unused-variable',
  '-Wno-error=unused-but-set-variable',
  '-Wno-error=deprecated-declarations',
  '-Wextra',
  '-Wno-unused-parameter',
  '-Wno-sign-compare',
  '-Wno-enum-conversion',
];

export interface IdfShimOptions {
  /** Total time budget for configure + build + run (default 300 s). */
  timeoutMs?: number;
  /** Time limit of the program run alone (default: what is left of timeoutMs). */
  runTimeoutMs?: number;
  /** Compile options for every C source (default -std=c99 -Wall -Wextra -Werror). */
  cOptions?: string[];
  /** Use this folder for the shim and the build (not removed afterwards). */
  workDir?: string;
  /** Keep the temporary folder (its path is returned in workDir). */
  keep?: boolean;
  /** Parallel build jobs (default 2). */
  jobs?: number;
  /** The cmake program (default 'cmake'). */
  cmake?: string;
  /** A missing cmake/gcc is a warning, not an error (the check is an extra on top of the C verification). */
  optional?: boolean;
}

export interface IdfShimResult {
  ok: boolean;
  configureLog: string;
  buildLog: string;
  runOutput: string;
  diagnostics: Diagnostic[];
  /** The folder holding idf/ (the stand-in IDF_PATH) and build/, when kept. */
  workDir?: string;
}

// CMake and C text are written with @{...} for CMake's ${...} so that TypeScript never interpolates.
const cm = (s: string) => s.replace(/@\{/g, '${');

const PROJECT_CMAKE = cm(String.raw`# espforge host stand-in for ESP-IDF's tools/cmake/project.cmake (NOT ESP-IDF).
# Builds a generated ESP-IDF project with the host C compiler so that a broken CMakeLists.txt or a missing
# include is caught without ESP-IDF. Written by espforge's verify/idf-shim.
cmake_minimum_required(VERSION 3.16)

get_filename_component(EFSHIM_ROOT "@{CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
if(NOT DEFINED IDF_PATH)
  set(IDF_PATH "@{EFSHIM_ROOT}")
endif()
if(NOT DEFINED EFSHIM_C_OPTIONS)
  set(EFSHIM_C_OPTIONS ${DEFAULT_SHIM_C_OPTIONS.join(' ')})
endif()
# the ESP-IDF version this stand-in imitates (variables ESP-IDF's project.cmake sets before project())
set(IDF_VERSION_MAJOR 5)
set(IDF_VERSION_MINOR 5)
set(IDF_VERSION_PATCH 5)
set(EFSHIM_STUB_COMPONENTS esp_timer log freertos esp_system esp_common heap newlib soc hal esp_rom esp_hw_support cxx espressif__esp-nn)
# ESP-IDF's common requirements: every component gets them without naming them (esp_timer is not one of them)
set(EFSHIM_COMMON_REQUIRES newlib freertos log esp_common esp_system heap soc hal esp_rom esp_hw_support cxx)
set(EFSHIM_REGISTER_KEYWORDS SRCS SRC_DIRS EXCLUDE_SRCS INCLUDE_DIRS PRIV_INCLUDE_DIRS REQUIRES PRIV_REQUIRES
    LDFRAGMENTS KCONFIG KCONFIG_PROJBUILD REQUIRED_IDF_TARGETS EMBED_FILES EMBED_TXTFILES)

function(_efshim_abs out path what)
  get_filename_component(p "@{path}" ABSOLUTE BASE_DIR "@{COMPONENT_DIR}")
  set(@{out} "@{p}" PARENT_SCOPE)
endfunction()

function(_efshim_require lib name kind)
  get_property(all GLOBAL PROPERTY EFSHIM_COMPONENTS)
  if(NOT name IN_LIST all)
    message(FATAL_ERROR "Failed to resolve component '@{name}' required by component '@{COMPONENT_NAME}' "
      "(@{COMPONENT_DIR}/CMakeLists.txt): no such component in this project, and the espforge host shim stubs only: "
      "@{EFSHIM_STUB_COMPONENTS}")
  endif()
  if(NOT name STREQUAL COMPONENT_NAME)
    target_link_libraries(@{lib} @{kind} __idf_@{name})
  endif()
endfunction()

function(idf_component_register)
  cmake_parse_arguments(PARSE_ARGV 0 R "WHOLE_ARCHIVE" "" "@{EFSHIM_REGISTER_KEYWORDS}")
  if(NOT COMPONENT_NAME)
    message(FATAL_ERROR "idf_component_register called outside a component's CMakeLists.txt")
  endif()
  set(where "component '@{COMPONENT_NAME}' (@{COMPONENT_DIR}/CMakeLists.txt)")
  if(R_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "idf_component_register in @{where}: unknown argument(s) '@{R_UNPARSED_ARGUMENTS}'; "
      "known keywords: @{EFSHIM_REGISTER_KEYWORDS} WHOLE_ARCHIVE")
  endif()
  if(R_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "idf_component_register in @{where}: keyword(s) without values: @{R_KEYWORDS_MISSING_VALUES}")
  endif()
  if(R_EMBED_FILES OR R_EMBED_TXTFILES)
    message(FATAL_ERROR "idf_component_register in @{where}: EMBED_FILES/EMBED_TXTFILES are not supported by the espforge host shim")
  endif()
  get_property(done GLOBAL PROPERTY EFSHIM_REGISTERED_@{COMPONENT_NAME})
  if(done)
    message(FATAL_ERROR "idf_component_register called twice in @{where}")
  endif()
  set_property(GLOBAL PROPERTY EFSHIM_REGISTERED_@{COMPONENT_NAME} TRUE)

  set(srcs "")
  foreach(s IN LISTS R_SRCS)
    _efshim_abs(p "@{s}" source)
    if(NOT EXISTS "@{p}" OR IS_DIRECTORY "@{p}")
      message(FATAL_ERROR "@{where}: source file '@{s}' listed in SRCS does not exist (@{p})")
    endif()
    list(APPEND srcs "@{p}")
  endforeach()
  foreach(d IN LISTS R_SRC_DIRS)
    _efshim_abs(p "@{d}" dir)
    if(NOT IS_DIRECTORY "@{p}")
      message(FATAL_ERROR "@{where}: SRC_DIRS entry '@{d}' is not a folder (@{p})")
    endif()
    file(GLOB found "@{p}/*.c" "@{p}/*.cpp" "@{p}/*.S")
    list(APPEND srcs @{found})
  endforeach()
  foreach(x IN LISTS R_EXCLUDE_SRCS)
    _efshim_abs(p "@{x}" source)
    list(REMOVE_ITEM srcs "@{p}")
  endforeach()
  foreach(s IN LISTS srcs)
    if(NOT s MATCHES "\\.c$")
      message(FATAL_ERROR "@{where}: '@{s}' is not a C source; the espforge host shim compiles C only")
    endif()
  endforeach()
  set(incs "")
  set(privincs "")
  foreach(d IN LISTS R_INCLUDE_DIRS)
    _efshim_abs(p "@{d}" dir)
    if(NOT IS_DIRECTORY "@{p}")
      message(FATAL_ERROR "@{where}: INCLUDE_DIRS entry '@{d}' is not a folder (@{p})")
    endif()
    list(APPEND incs "@{p}")
  endforeach()
  foreach(d IN LISTS R_PRIV_INCLUDE_DIRS)
    _efshim_abs(p "@{d}" dir)
    if(NOT IS_DIRECTORY "@{p}")
      message(FATAL_ERROR "@{where}: PRIV_INCLUDE_DIRS entry '@{d}' is not a folder (@{p})")
    endif()
    list(APPEND privincs "@{p}")
  endforeach()

  set(lib "__idf_@{COMPONENT_NAME}")
  if(srcs)
    add_library(@{lib} STATIC @{srcs})
    set(pub PUBLIC)
    set(priv PRIVATE)
    target_compile_options(@{lib} PRIVATE @{EFSHIM_C_OPTIONS})
    target_include_directories(@{lib} PRIVATE @{privincs})
  else()
    add_library(@{lib} INTERFACE)
    set(pub INTERFACE)
    set(priv INTERFACE)
  endif()
  target_include_directories(@{lib} @{pub} @{incs} "@{EFSHIM_CONFIG_DIR}")

  set(reqs @{R_REQUIRES})
  set(privreqs @{R_PRIV_REQUIRES})
  get_property(is_stub GLOBAL PROPERTY EFSHIM_IS_STUB_@{COMPONENT_NAME})
  if(NOT is_stub)
    list(APPEND privreqs @{EFSHIM_COMMON_REQUIRES})
    # the component manager: a manifest dependency on espressif/esp-nn becomes a requirement on the managed component
    if(EXISTS "@{COMPONENT_DIR}/idf_component.yml")
      file(READ "@{COMPONENT_DIR}/idf_component.yml" _efshim_manifest)
      if(_efshim_manifest MATCHES "espressif/esp-nn")
        list(APPEND reqs espressif__esp-nn)
      endif()
    endif()
    # ESP-IDF: main without REQUIRES/PRIV_REQUIRES depends on every component of the project
    if(COMPONENT_NAME STREQUAL "main" AND NOT R_REQUIRES AND NOT R_PRIV_REQUIRES)
      get_property(projcomps GLOBAL PROPERTY EFSHIM_PROJECT_COMPONENTS)
      list(APPEND privreqs @{projcomps})
    endif()
  endif()
  foreach(r IN LISTS reqs)
    _efshim_require(@{lib} "@{r}" @{pub})
  endforeach()
  foreach(r IN LISTS privreqs)
    _efshim_require(@{lib} "@{r}" @{priv})
  endforeach()
  set(COMPONENT_LIB "@{lib}" PARENT_SCOPE)
  set(COMPONENT_TARGET "@{lib}" PARENT_SCOPE)
endfunction()

# build properties a project may set before project(); MINIMAL_BUILD is accepted (every component the shim
# knows is built anyway), anything else is refused so that a typo does not pass silently
function(idf_build_set_property prop)
  if(NOT prop STREQUAL "MINIMAL_BUILD")
    message(FATAL_ERROR "idf_build_set_property(@{prop}) is not supported by the espforge host shim")
  endif()
  set_property(GLOBAL PROPERTY EFSHIM_BUILD_@{prop} "@{ARGN}")
endfunction()

function(idf_build_get_property var prop)
  if(prop STREQUAL "IDF_TARGET")
    set(v "@{IDF_TARGET}")
  elseif(prop STREQUAL "IDF_PATH")
    set(v "@{IDF_PATH}")
  elseif(prop STREQUAL "PROJECT_DIR")
    set(v "@{CMAKE_SOURCE_DIR}")
  elseif(prop STREQUAL "BUILD_DIR")
    set(v "@{CMAKE_BINARY_DIR}")
  elseif(prop STREQUAL "PROJECT_NAME")
    set(v "@{PROJECT_NAME}")
  else()
    message(FATAL_ERROR "idf_build_get_property(@{prop}) is not supported by the espforge host shim")
  endif()
  set(@{var} "@{v}" PARENT_SCOPE)
endfunction()

# sdkconfig.defaults → build/config/sdkconfig.h and CONFIG_ variables
macro(_efshim_sdkconfig)
  set(EFSHIM_CONFIG_DIR "@{CMAKE_BINARY_DIR}/config")
  set(_efshim_sdk "@{CMAKE_SOURCE_DIR}/sdkconfig.defaults")
  if(NOT EXISTS "@{_efshim_sdk}")
    message(FATAL_ERROR "@{_efshim_sdk} is missing (a generated ESP-IDF project always has one)")
  endif()
  file(STRINGS "@{_efshim_sdk}" _efshim_lines)
  set(_efshim_h "/* sdkconfig.h written by the espforge host shim from sdkconfig.defaults (not ESP-IDF) */\n#pragma once\n")
  set(CONFIG_FREERTOS_HZ 1000)
  set(CONFIG_LOG_DEFAULT_LEVEL 3)
  foreach(_efshim_l IN LISTS _efshim_lines)
    if(_efshim_l MATCHES "^(CONFIG_[A-Za-z0-9_]+)=y$")
      set(@{CMAKE_MATCH_1} y)
      string(APPEND _efshim_h "#define @{CMAKE_MATCH_1} 1\n")
    elseif(_efshim_l MATCHES "^(CONFIG_[A-Za-z0-9_]+)=\"([^\"]*)\"$")
      set(@{CMAKE_MATCH_1} "@{CMAKE_MATCH_2}")
      string(APPEND _efshim_h "#define @{CMAKE_MATCH_1} \"@{CMAKE_MATCH_2}\"\n")
    elseif(_efshim_l MATCHES "^(CONFIG_[A-Za-z0-9_]+)=(-?[0-9]+|0x[0-9a-fA-F]+)$")
      set(@{CMAKE_MATCH_1} "@{CMAKE_MATCH_2}")
      string(APPEND _efshim_h "#define @{CMAKE_MATCH_1} @{CMAKE_MATCH_2}\n")
    elseif(_efshim_l MATCHES "^[ \t]*(#.*)?$")
    else()
      message(WARNING "sdkconfig.defaults: line not understood by the espforge host shim: @{_efshim_l}")
    endif()
  endforeach()
  if(NOT _efshim_h MATCHES "CONFIG_FREERTOS_HZ ")
    string(APPEND _efshim_h "#define CONFIG_FREERTOS_HZ @{CONFIG_FREERTOS_HZ}\n")
  endif()
  if(NOT _efshim_h MATCHES "CONFIG_LOG_DEFAULT_LEVEL ")
    string(APPEND _efshim_h "#define CONFIG_LOG_DEFAULT_LEVEL @{CONFIG_LOG_DEFAULT_LEVEL}\n")
  endif()
  set(IDF_TARGET "@{CONFIG_IDF_TARGET}")
  if(IDF_TARGET)
    string(TOUPPER "@{IDF_TARGET}" _efshim_t)
    set(CONFIG_IDF_TARGET_@{_efshim_t} y)
    string(APPEND _efshim_h "#define CONFIG_IDF_TARGET_@{_efshim_t} 1\n")
  endif()
  file(MAKE_DIRECTORY "@{EFSHIM_CONFIG_DIR}")
  file(WRITE "@{EFSHIM_CONFIG_DIR}/sdkconfig.h" "@{_efshim_h}")
endmacro()

macro(project efshim_project_name)
  _project(@{efshim_project_name} C)
  set(IDF_VER "espforge-host-shim")
  _efshim_sdkconfig()

  # components of the project: main/ and components/*/ holding a CMakeLists.txt; they override stubs of the same name
  if(NOT EXISTS "@{CMAKE_SOURCE_DIR}/main/CMakeLists.txt")
    message(FATAL_ERROR "@{CMAKE_SOURCE_DIR}/main/CMakeLists.txt is missing (ESP-IDF projects have a main component)")
  endif()
  set(_efshim_proj main)
  set(_efshim_dir_main "@{CMAKE_SOURCE_DIR}/main")
  file(GLOB _efshim_cands LIST_DIRECTORIES true "@{CMAKE_SOURCE_DIR}/components/*")
  list(SORT _efshim_cands)
  foreach(_efshim_c IN LISTS _efshim_cands)
    if(IS_DIRECTORY "@{_efshim_c}" AND EXISTS "@{_efshim_c}/CMakeLists.txt")
      get_filename_component(_efshim_n "@{_efshim_c}" NAME)
      if(_efshim_n STREQUAL "main")
        message(FATAL_ERROR "components/main clashes with the main component")
      endif()
      list(APPEND _efshim_proj "@{_efshim_n}")
      set(_efshim_dir_@{_efshim_n} "@{_efshim_c}")
    endif()
  endforeach()
  set(_efshim_stubs "")
  foreach(_efshim_n IN LISTS EFSHIM_STUB_COMPONENTS)
    if(NOT _efshim_n IN_LIST _efshim_proj)
      list(APPEND _efshim_stubs "@{_efshim_n}")
      set(_efshim_dir_@{_efshim_n} "@{EFSHIM_ROOT}/components/@{_efshim_n}")
      set_property(GLOBAL PROPERTY EFSHIM_IS_STUB_@{_efshim_n} TRUE)
    endif()
  endforeach()
  set(_efshim_all @{_efshim_proj} @{_efshim_stubs})
  set_property(GLOBAL PROPERTY EFSHIM_COMPONENTS @{_efshim_all})
  set(_efshim_others @{_efshim_proj})
  list(REMOVE_ITEM _efshim_others main)
  set_property(GLOBAL PROPERTY EFSHIM_PROJECT_COMPONENTS @{_efshim_others})
  set(BUILD_COMPONENTS @{_efshim_all})

  foreach(_efshim_n IN LISTS _efshim_all)
    set(COMPONENT_NAME "@{_efshim_n}")
    set(COMPONENT_DIR "@{_efshim_dir_@{_efshim_n}}")
    set(COMPONENT_PATH "@{COMPONENT_DIR}")
    add_subdirectory("@{COMPONENT_DIR}" "@{CMAKE_BINARY_DIR}/esp-idf/@{_efshim_n}")
    get_property(_efshim_done GLOBAL PROPERTY EFSHIM_REGISTERED_@{_efshim_n})
    if(NOT _efshim_done)
      message(FATAL_ERROR "@{COMPONENT_DIR}/CMakeLists.txt does not call idf_component_register()")
    endif()
  endforeach()
  unset(COMPONENT_NAME)
  unset(COMPONENT_DIR)
  unset(COMPONENT_PATH)

  add_executable(@{efshim_project_name}.elf "@{EFSHIM_ROOT}/tools/cmake/efshim_app.c")
  target_compile_options(@{efshim_project_name}.elf PRIVATE @{EFSHIM_C_OPTIONS})
  target_link_libraries(@{efshim_project_name}.elf PRIVATE __idf_main)
  file(GENERATE OUTPUT "@{CMAKE_BINARY_DIR}/efshim_executable.txt" CONTENT "$<TARGET_FILE:@{efshim_project_name}.elf>")
endmacro()
`);

const APP_C = String.raw`/* espforge host shim: the ESP-IDF main task calls app_main(); on the host, main() does and then returns. */
#include <stdio.h>

void app_main(void);

int main(void)
{
    app_main();
    fflush(stdout);
    return 0;
}
`;

const reg = (srcs: string[], requires = '', privRequires = '') =>
  `idf_component_register(${srcs.length ? `SRCS ${srcs.map((s) => `"${s}"`).join(' ')} ` : ''}INCLUDE_DIRS "include"` +
  `${requires ? ` REQUIRES ${requires}` : ''}${privRequires ? ` PRIV_REQUIRES ${privRequires}` : ''})\n`;

/** Stub components: CMakeLists.txt plus headers/sources, keyed by path under components/. */
const STUBS: Record<string, string> = {
  'esp_timer/CMakeLists.txt': reg(['esp_timer.c'], 'esp_common'),
  'esp_timer/include/esp_timer.h': String.raw`/* espforge host shim for ESP-IDF's esp_timer.h (not ESP-IDF) */
#ifndef EFSHIM_ESP_TIMER_H
#define EFSHIM_ESP_TIMER_H
#include <stdint.h>
#include "esp_err.h"
#ifdef __cplusplus
extern "C" {
#endif
/* Microseconds since the program started. */
int64_t esp_timer_get_time(void);
#ifdef __cplusplus
}
#endif
#endif
`,
  'esp_timer/esp_timer.c': String.raw`/* espforge host shim: esp_timer_get_time from the monotonic clock */
#define _POSIX_C_SOURCE 199309L
#include <time.h>
#include "esp_timer.h"

int64_t esp_timer_get_time(void)
{
    static int64_t start = -1;
    struct timespec ts;
    int64_t now;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (int64_t)ts.tv_sec * 1000000 + (int64_t)(ts.tv_nsec / 1000);
    if (start < 0) start = now;
    return now - start;
}
`,
  'log/CMakeLists.txt': reg(['log.c'], '', 'esp_timer'),
  'log/include/esp_log.h': String.raw`/* espforge host shim for ESP-IDF's esp_log.h (not ESP-IDF): messages go to stdout */
#ifndef EFSHIM_ESP_LOG_H
#define EFSHIM_ESP_LOG_H
#include <stdint.h>
#include "sdkconfig.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef enum { ESP_LOG_NONE, ESP_LOG_ERROR, ESP_LOG_WARN, ESP_LOG_INFO, ESP_LOG_DEBUG, ESP_LOG_VERBOSE } esp_log_level_t;
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void efshim_log(esp_log_level_t level, const char *tag, const char *format, ...);
void esp_log_level_set(const char *tag, esp_log_level_t level);
uint32_t esp_log_timestamp(void);
#define ESP_LOGE(tag, ...) efshim_log(ESP_LOG_ERROR, tag, __VA_ARGS__)
#define ESP_LOGW(tag, ...) efshim_log(ESP_LOG_WARN, tag, __VA_ARGS__)
#define ESP_LOGI(tag, ...) efshim_log(ESP_LOG_INFO, tag, __VA_ARGS__)
#define ESP_LOGD(tag, ...) efshim_log(ESP_LOG_DEBUG, tag, __VA_ARGS__)
#define ESP_LOGV(tag, ...) efshim_log(ESP_LOG_VERBOSE, tag, __VA_ARGS__)
#ifdef __cplusplus
}
#endif
#endif
`,
  'log/log.c': String.raw`/* espforge host shim: ESP_LOGx → stdout, "I (ms) tag: message" like ESP-IDF */
#include <stdarg.h>
#include <stdio.h>
#include "esp_log.h"
#include "esp_timer.h"

static esp_log_level_t efshim_level = (esp_log_level_t)CONFIG_LOG_DEFAULT_LEVEL;

void esp_log_level_set(const char *tag, esp_log_level_t level)
{
    (void)tag;
    efshim_level = level;
}

uint32_t esp_log_timestamp(void)
{
    return (uint32_t)(esp_timer_get_time() / 1000);
}

void efshim_log(esp_log_level_t level, const char *tag, const char *format, ...)
{
    static const char letters[] = "NEWIDV";
    va_list ap;
    if (level > efshim_level || level == ESP_LOG_NONE) return;
    printf("%c (%lu) %s: ", letters[level], (unsigned long)esp_log_timestamp(), tag);
    va_start(ap, format);
    vprintf(format, ap);
    va_end(ap);
    printf("\n");
}
`,
  'freertos/CMakeLists.txt': reg(['freertos.c'], '', 'esp_timer'),
  'freertos/include/freertos/FreeRTOS.h': String.raw`/* espforge host shim for FreeRTOS.h (not FreeRTOS) */
#ifndef EFSHIM_FREERTOS_H
#define EFSHIM_FREERTOS_H
#include <stddef.h>
#include <stdint.h>
#include "sdkconfig.h"
typedef uint32_t TickType_t;
typedef int BaseType_t;
typedef unsigned int UBaseType_t;
#define configTICK_RATE_HZ CONFIG_FREERTOS_HZ
#define portTICK_PERIOD_MS ((TickType_t)1000 / configTICK_RATE_HZ)
#define pdMS_TO_TICKS(ms) ((TickType_t)(((uint64_t)(ms) * configTICK_RATE_HZ) / 1000))
#define portMAX_DELAY ((TickType_t)0xffffffffUL)
#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)
#define pdPASS pdTRUE
#define pdFAIL pdFALSE
#endif
`,
  'freertos/include/freertos/task.h': String.raw`/* espforge host shim for FreeRTOS task.h (not FreeRTOS) */
#ifndef EFSHIM_FREERTOS_TASK_H
#define EFSHIM_FREERTOS_TASK_H
#include "freertos/FreeRTOS.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef void *TaskHandle_t;
void vTaskDelay(TickType_t ticks);
TickType_t xTaskGetTickCount(void);
/* vTaskDelete(NULL) from app_main ends the program (exit status 0). */
void vTaskDelete(TaskHandle_t task);
#ifdef __cplusplus
}
#endif
#endif
`,
  'freertos/freertos.c': String.raw`/* espforge host shim: FreeRTOS delays on the host clock */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "esp_timer.h"

void vTaskDelay(TickType_t ticks)
{
    struct timespec ts;
    uint64_t us = (uint64_t)ticks * 1000000u / configTICK_RATE_HZ;
    ts.tv_sec = (time_t)(us / 1000000u);
    ts.tv_nsec = (long)(us % 1000000u) * 1000L;
    nanosleep(&ts, NULL);
}

TickType_t xTaskGetTickCount(void)
{
    return (TickType_t)((uint64_t)esp_timer_get_time() * configTICK_RATE_HZ / 1000000u);
}

void vTaskDelete(TaskHandle_t task)
{
    if (task == NULL) {
        fflush(stdout);
        exit(0);
    }
}
`,
  'esp_system/CMakeLists.txt': reg(['esp_system.c'], 'esp_common'),
  'esp_system/include/esp_system.h': String.raw`/* espforge host shim for ESP-IDF's esp_system.h (not ESP-IDF) */
#ifndef EFSHIM_ESP_SYSTEM_H
#define EFSHIM_ESP_SYSTEM_H
#include <stdint.h>
#include "esp_err.h"
#ifdef __cplusplus
extern "C" {
#endif
/* On the host: ends the program with status 0. */
void esp_restart(void);
uint32_t esp_get_free_heap_size(void);
uint32_t esp_get_minimum_free_heap_size(void);
#ifdef __cplusplus
}
#endif
#endif
`,
  'esp_system/esp_system.c': String.raw`/* espforge host shim: esp_system.h functions */
#include <stdio.h>
#include <stdlib.h>
#include "esp_system.h"

void esp_restart(void)
{
    printf("esp_restart() called (host shim: exiting)\n");
    fflush(stdout);
    exit(0);
}

/* fixed figures: the host has no meaningful equivalent */
uint32_t esp_get_free_heap_size(void) { return 300u * 1024u; }
uint32_t esp_get_minimum_free_heap_size(void) { return 300u * 1024u; }
`,
  'esp_common/CMakeLists.txt': reg([]),
  'esp_common/include/esp_err.h': String.raw`/* espforge host shim for ESP-IDF's esp_err.h (not ESP-IDF) */
#ifndef EFSHIM_ESP_ERR_H
#define EFSHIM_ESP_ERR_H
#include <stdio.h>
#include <stdlib.h>
typedef int esp_err_t;
#define ESP_OK 0
#define ESP_FAIL (-1)
#define ESP_ERR_NO_MEM 0x101
#define ESP_ERR_INVALID_ARG 0x102
#define ESP_ERR_INVALID_STATE 0x103
#define ESP_ERR_INVALID_SIZE 0x104
#define ESP_ERR_NOT_FOUND 0x105
#define ESP_ERR_NOT_SUPPORTED 0x106
#define ESP_ERR_TIMEOUT 0x107
#define ESP_ERROR_CHECK(x) do { esp_err_t efshim_rc_ = (x); if (efshim_rc_ != ESP_OK) { \
    printf("ESP_ERROR_CHECK failed: esp_err_t 0x%x at %s:%d\n", (unsigned)efshim_rc_, __FILE__, __LINE__); \
    fflush(stdout); abort(); } } while (0)
#endif
`,
  'esp_common/include/esp_attr.h': String.raw`/* espforge host shim for ESP-IDF's esp_attr.h: placement attributes are no-ops on the host */
#ifndef EFSHIM_ESP_ATTR_H
#define EFSHIM_ESP_ATTR_H
#define IRAM_ATTR
#define DRAM_ATTR
#define EXT_RAM_BSS_ATTR
#define RTC_DATA_ATTR
#define RTC_NOINIT_ATTR
#define WORD_ALIGNED_ATTR __attribute__((aligned(4)))
#endif
`,
  'heap/CMakeLists.txt': reg([]),
  'heap/include/esp_heap_caps.h': String.raw`/* espforge host shim for ESP-IDF's esp_heap_caps.h (not ESP-IDF) */
#ifndef EFSHIM_ESP_HEAP_CAPS_H
#define EFSHIM_ESP_HEAP_CAPS_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#define MALLOC_CAP_EXEC (1 << 0)
#define MALLOC_CAP_32BIT (1 << 1)
#define MALLOC_CAP_8BIT (1 << 2)
#define MALLOC_CAP_DMA (1 << 3)
#define MALLOC_CAP_SPIRAM (1 << 10)
#define MALLOC_CAP_INTERNAL (1 << 11)
#define MALLOC_CAP_DEFAULT (1 << 12)
#define heap_caps_malloc(size, caps) ((void)(caps), malloc(size))
#define heap_caps_free(p) free(p)
#define heap_caps_get_free_size(caps) ((void)(caps), (size_t)(300u * 1024u))
#define heap_caps_get_largest_free_block(caps) ((void)(caps), (size_t)(200u * 1024u))
#endif
`,
};
for (const empty of ['newlib', 'soc', 'hal', 'esp_rom', 'esp_hw_support', 'cxx']) STUBS[`${empty}/CMakeLists.txt`] = 'idf_component_register()\n';
// the managed ESP-NN component: espforge's test double of its API (not ESP-NN)
{
  const d = espnnDoubleFiles();
  STUBS['espressif__esp-nn/CMakeLists.txt'] = reg(['esp_nn_double.c']);
  STUBS['espressif__esp-nn/include/esp_nn.h'] = d['esp_nn.h'];
  STUBS['espressif__esp-nn/esp_nn_double_kernels.h'] = d['esp_nn_double_kernels.h'];
  STUBS['espressif__esp-nn/esp_nn_double.c'] = d['esp_nn_double.c'];
}

/** Write the stand-in IDF_PATH into `root` (created if needed); returns root. */
export function writeIdfShim(root: string): string {
  const files: Record<string, string> = {
    'tools/cmake/project.cmake': PROJECT_CMAKE,
    'tools/cmake/efshim_app.c': APP_C,
    'README.txt': 'espforge host stand-in for ESP-IDF (verify/idf-shim.ts). Not ESP-IDF: only enough to configure, compile and run a generated project on the host.\n',
  };
  for (const [p, s] of Object.entries(STUBS)) files[`components/${p}`] = s;
  for (const [p, s] of Object.entries(files)) {
    const f = join(root, p);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, s);
  }
  return root;
}

/** The first error lines of a CMake/compiler log (from the first line that mentions an error). */
export function firstErrorLines(log: string, max = 20): string {
  const lines = log.split('\n');
  const k = lines.findIndex((l) => /\berror\b|CMake Error|undefined reference|No such file/i.test(l));
  const from = k < 0 ? Math.max(0, lines.length - max) : k;
  return lines.slice(from, from + max).join('\n').trim();
}

const PASS_RE = /^([A-Za-z_][A-Za-z0-9_]*): PASS\b/m;
const FAIL_RE = /^([A-Za-z_][A-Za-z0-9_]*): FAIL\b.*$/m;

/**
 * Configure, build and run a generated ESP-IDF project on the host through the stand-in IDF (see the file
 * header). Never throws: problems come back as diagnostics. The project folder is only read.
 */
export function checkIdfProjectOnHost(dir: string, opts: IdfShimOptions = {}): IdfShimResult {
  const res: IdfShimResult = { ok: false, configureLog: '', buildLog: '', runOutput: '', diagnostics: [] };
  const src = resolve(dir);
  const budget = opts.timeoutMs ?? 300000;
  const t0 = Date.now();
  const left = () => Math.max(1000, budget - (Date.now() - t0));
  const cmake = opts.cmake ?? 'cmake';
  for (const [tool, what] of [[cmake, 'CMake (3.16 or newer)'], ['gcc', 'host C compiler']] as const)
    if (!hasTool(tool)) {
      res.diagnostics.push(diag('EF4002', `${what} '${tool}' was not found or does not run; the ESP-IDF project cannot be checked on the host`, {
        file: dir,
        suggestion: tool === cmake ? 'install CMake (Debian: apt-get install cmake)' : 'install a C compiler (Debian: apt-get install gcc)',
        severity: opts.optional ? 'warning' : 'error',
      }));
      return res;
    }
  if (!existsSync(join(src, 'CMakeLists.txt')) || !statSync(src).isDirectory()) {
    res.diagnostics.push(diag('EF0001', 'no CMakeLists.txt: is this an ESP-IDF project written by espforge build?', { file: dir }));
    return res;
  }
  const work = opts.workDir ? resolve(opts.workDir) : mkdtempSync(join(tmpdir(), 'espforge-idfshim-'));
  try {
    const idf = writeIdfShim(join(work, 'idf'));
    const build = join(work, 'build');
    rmSync(build, { recursive: true, force: true });
    const copts = (opts.cOptions ?? DEFAULT_SHIM_C_OPTIONS).join(';');
    // `cmake -E env` sets IDF_PATH for the generated CMakeLists ($ENV{IDF_PATH}) without a shell
    const cfg = run(cmake, ['-E', 'env', `IDF_PATH=${idf}`, cmake, '-S', src, '-B', build, `-DIDF_PATH=${idf}`,
      '-DCMAKE_C_COMPILER=gcc', '-DCMAKE_BUILD_TYPE=', '--no-warn-unused-cli', `-DEFSHIM_C_OPTIONS=${copts}`], { timeoutMs: left() });
    res.configureLog = cfg.stdout + cfg.stderr;
    if (cfg.status !== 0) {
      res.diagnostics.push(diag('EF4003', `the ESP-IDF project does not configure (cmake ${/^timed out/.test(cfg.stderr) ? cfg.stderr : `exit ${cfg.status}`}; host stand-in for ESP-IDF)`, {
        file: dir,
        notes: [firstErrorLines(cfg.stderr || cfg.stdout)],
        suggestion: 'this is a bug in the generated CMakeLists.txt files (or they were edited); regenerate with espforge build',
      }));
      return res;
    }
    const bld = run(cmake, ['--build', build, '--parallel', String(opts.jobs ?? 2)], { timeoutMs: left() });
    res.buildLog = bld.stdout + bld.stderr;
    if (bld.status !== 0) {
      res.diagnostics.push(diag('EF4003', `the ESP-IDF project does not compile on the host (${/^timed out/.test(bld.stderr) ? bld.stderr : `exit ${bld.status}`}; C options ${(opts.cOptions ?? DEFAULT_SHIM_C_OPTIONS).join(' ')})`, {
        file: dir,
        notes: [firstErrorLines(res.buildLog)],
        suggestion: 'this is a bug in espforge code generation (or the files were edited); regenerate with espforge build',
      }));
      return res;
    }
    const exePath = join(build, 'efshim_executable.txt');
    const exe = existsSync(exePath) ? readFileSync(exePath, 'utf8').trim() : '';
    if (!exe || !existsSync(exe)) {
      res.diagnostics.push(diag('EF4003', 'the ESP-IDF project built but produced no executable', { file: dir, notes: [res.buildLog.slice(-2000)] }));
      return res;
    }
    const r = run(exe, [], { cwd: build, timeoutMs: Math.min(left(), opts.runTimeoutMs ?? Infinity) });
    res.runOutput = r.stdout + (r.stderr ? `\n${r.stderr}` : '');
    const failLine = FAIL_RE.exec(r.stdout);
    if (r.status !== 0)
      res.diagnostics.push(diag('EF4004', `app_main of the ESP-IDF project failed on the host (${/^timed out/.test(r.stderr) ? r.stderr : `exit ${r.status}`})`, {
        file: dir,
        notes: [res.runOutput.slice(-2000)],
      }));
    else if (failLine)
      res.diagnostics.push(diag('EF4004', `app_main of the ESP-IDF project reports: ${failLine[0].trim()}`, {
        file: dir,
        notes: [r.stdout.slice(-2000)],
        suggestion: 'the generated C disagrees with the integer simulator on the embedded sample; please report it with the model',
      }));
    else if (!PASS_RE.test(r.stdout))
      res.diagnostics.push(diag('EF4004', 'app_main of the ESP-IDF project did not print a PASS line', { file: dir, notes: [r.stdout.slice(-2000)] }));
    res.ok = res.diagnostics.length === 0;
    return res;
  } catch (e) {
    res.diagnostics.push(...toDiagnostics(e, { file: dir }));
    return res;
  } finally {
    if (opts.keep || opts.workDir) res.workDir = work;
    else rmSync(work, { recursive: true, force: true });
  }
}
