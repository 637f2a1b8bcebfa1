{
  "targets": [
    {
      "target_name": "procctl",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native').filter(f => f.endsWith('.cc')).sort().map(f => 'native/' + f).join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NAPI_CPP_EXCEPTIONS"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": [
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-fvisibility=hidden",
        "-fstack-protector-strong"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0",
        "OTHER_CPLUSPLUSFLAGS": ["-Wall", "-Wextra", "-fstack-protector-strong"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1 }
      }
    }
  ],
  "conditions": [
    ["OS!='win'", {
      "targets": [
        {
          "target_name": "procctl-init",
          "type": "executable",
          "sources": [
            "<!@(node -p \"require('fs').readdirSync('native/init').filter(f => f.endsWith('.cc')).sort().map(f => 'native/init/' + f).join(' ')\")"
          ],
          "defines": [
            "PROCCTL_VERSION=<!(node -p \"JSON.stringify(require('./package.json').version)\")"
          ],
          "cflags": ["-ffunction-sections", "-fdata-sections", "-fno-asynchronous-unwind-tables"],
          "cflags_cc": [
            "-Os",
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-fno-exceptions",
            "-fno-rtti",
            "-fstack-protector-strong"
          ],
          "conditions": [
            ["OS=='linux'", {
              "ldflags": ["<!@(node native/init/link-flags.cjs)", "-Wl,--gc-sections"],
              "configurations": { "Release": { "ldflags": ["-s"] } }
            }]
          ],
          "xcode_settings": {
            "GCC_OPTIMIZATION_LEVEL": "s",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0",
            "DEAD_CODE_STRIPPING": "YES",
            "OTHER_CPLUSPLUSFLAGS": ["-Wall", "-Wextra", "-fno-exceptions", "-fno-rtti", "-fstack-protector-strong"]
          }
        }
      ]
    }]
  ]
}
