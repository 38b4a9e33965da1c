# Warnings, -Werror and sanitizers for the project's own code.
option(KVCACHE_WERROR "Treat warnings in the project's code as errors" ON)
option(KVCACHE_SANITIZE "Build with AddressSanitizer and UBSan" OFF)

add_compile_options(-Wall -Wextra -Wno-unused-parameter)
if(KVCACHE_WERROR)
  add_compile_options(-Werror)
endif()
option(KVCACHE_FUZZ "Build the libFuzzer targets in fuzz/ (needs clang)" OFF)
if(KVCACHE_FUZZ)
  # Coverage for the fuzzers reaches the project's own code.
  add_compile_options(-fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer)
  # -O1 and line tables are what the reports need (-O2 -g builds slower).
  add_compile_options(-O1 -gline-tables-only)
  add_link_options(-fsanitize=address)
endif()
if(KVCACHE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  # What ASan recommends: -O1, and line tables only (g++'s -g1) for the
  # reports' stack traces. They come after the build type's -O2 -g, so they
  # win, and they build a third faster than -O2 -g (58 s -> 38 s for the
  # largest file), which CI's time limit needs.
  add_compile_options(-O1 -g1)
  add_link_options(-fsanitize=address,undefined)
endif()

# A project library linked against libMLIR.so / libLLVM.so, installed and
# exported as KVCache::<EXPORT_NAME>.
function(kvcache_add_mlir_library name)
  cmake_parse_arguments(ARG "" "EXPORT_NAME" "SOURCES;DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON
                        EXPORT_NAME ${ARG_EXPORT_NAME})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  # Debian's imported MLIR target carries no include directories.
  target_include_directories(${name} SYSTEM PUBLIC ${MLIR_INCLUDE_DIRS}
                             ${LLVM_INCLUDE_DIRS})
  if(KVCACHE_SANITIZE)
    # Whoever links a sanitized library needs the sanitizer runtimes too.
    target_link_options(${name} INTERFACE -fsanitize=address,undefined)
  endif()
  install(TARGETS ${name} EXPORT KVCacheTargets ARCHIVE DESTINATION lib)
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS} MLIR LLVM)
endfunction()
