# Audience Uploader's Windows installer: per user (no administrator rights),
# into %LOCALAPPDATA%\Programs\Audience Uploader, a Start-menu entry, an
# uninstaller listed in Settings > Apps (HKCU), and an opt-in "Add to PATH"
# (unchecked by default; /ADDTOPATH selects it in a silent install /S).
#
# Built two ways, both from this folder:
#   wails build -platform windows/amd64 -nsis   (writes wails_tools.nsh and
#       tmp\MicrosoftEdgeWebview2Setup.exe, then runs makensis with
#       -DARG_WAILS_AMD64_BINARY=...)
#   build/windows/installer.sh (make installer)  runs makensis again after that
#       with the version, the output name and warnings as errors.
# Defines it takes (all optional except the binary):
#   ARG_WAILS_AMD64_BINARY  the windows/amd64 exe to install
#   INFO_PRODUCTVERSION     X.Y.Z (numbers only: Windows' version resource)
#   APP_VERSION             the full version shown in Settings > Apps
#   OUTFILE                 where to write the installer

# A 64-bit installer where makensis has the amd64 stubs (Debian's has; the
# official Windows NSIS does not, and then it is a 32-bit one): the app is
# amd64-only either way, and the 64-bit one is what Wine can run in make test.
!if /FileExists "${NSISDIR}\Stubs\lzma-amd64-unicode"
    Target amd64-unicode
!else
    Unicode true
!endif
# LZMA per file, not /SOLID: solid LZMA output differs from run to run, this
# gives the same bytes for the same input (make test-installer checks it).
SetCompressor lzma
# No file times inside: the installer's bytes do not depend on when the exe
# and the WebView2 bootstrapper (rewritten by every wails build) were written.
SetDateSave off

# Per-user install: these select the HKCU registry keys and the
# %LOCALAPPDATA%\Programs folder in wails_tools.nsh.
!define /ifndef REQUEST_EXECUTION_LEVEL "user"
!define /ifndef WAILS_INSTALL_SCOPE "user"
!if "${REQUEST_EXECUTION_LEVEL}" != "user"
    !error "This installer is per-user only (REQUEST_EXECUTION_LEVEL=${REQUEST_EXECUTION_LEVEL})."
!endif
# The exe keeps the CLI's name, so `audience-uploader transform ...` works once
# the folder is on PATH.
!define PRODUCT_EXECUTABLE "audience-uploader.exe"

!include "wails_tools.nsh"
!include "MUI2.nsh"
!include "Sections.nsh"
!include "user_path.nsh"

!define /ifndef APP_VERSION "${INFO_PRODUCTVERSION}"
!define /ifndef OUTFILE "..\..\bin\${INFO_PROJECTNAME}-${ARCH}-installer.exe"

# Windows' version resource needs four numbers.
VIProductVersion "${INFO_PRODUCTVERSION}.0"
VIFileVersion    "${INFO_PRODUCTVERSION}.0"
VIAddVersionKey "CompanyName"     "${INFO_COMPANYNAME}"
VIAddVersionKey "FileDescription" "${INFO_PRODUCTNAME} Installer"
VIAddVersionKey "ProductVersion"  "${APP_VERSION}"
VIAddVersionKey "FileVersion"     "${INFO_PRODUCTVERSION}"
VIAddVersionKey "LegalCopyright"  "${INFO_COPYRIGHT}"
VIAddVersionKey "ProductName"     "${INFO_PRODUCTNAME}"

ManifestDPIAware true

Name "${INFO_PRODUCTNAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${INFO_PRODUCTNAME}"
# An upgrade goes where the last install went.
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
ShowInstDetails show
ShowUninstDetails show

!define MUI_ICON "..\icon.ico"
!define MUI_UNICON "..\icon.ico"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_SMALLDESC

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

# Signing (see README, Releases): the release workflow signs the exe before
# packing it and the installer after; !finalize/!uninstfinalize are not used.

Section "Audience Uploader" SecApp
    SectionIn RO
    !insertmacro wails.setShellContext
    !insertmacro wails.webview2runtime

    SetOutPath $INSTDIR
    !insertmacro wails.files

    CreateShortcut "$SMPROGRAMS\${INFO_PRODUCTNAME}.lnk" "$INSTDIR\${PRODUCT_EXECUTABLE}"

    !insertmacro wails.writeUninstaller
    WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${APP_VERSION}"
    WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
    WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
    WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
SectionEnd

Section /o "Add to PATH (use audience-uploader in cmd and PowerShell)" SecPath
    Call AddToUserPath
    ${If} $0 == "added"
        WriteRegStr HKCU "${UNINST_KEY}" "PathEntry" "$INSTDIR"
    ${EndIf}
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
    !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} "The app (window and command line) and its Start-menu entry."
    !insertmacro MUI_DESCRIPTION_TEXT ${SecPath} "Adds the install folder to your own PATH, so the audience-uploader command works in new consoles. The uninstaller takes it out again."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function .onInit
    !insertmacro wails.checkArchitecture
    # Silent installs (/S) have no components page: /ADDTOPATH opts in.
    ${GetOptions} $CMDLINE "/ADDTOPATH" $0
    ${IfNot} ${Errors}
        !insertmacro SelectSection ${SecPath}
    ${EndIf}
FunctionEnd

Section "uninstall"
    !insertmacro wails.setShellContext
    SetRegView 64

    ClearErrors
    ReadRegStr $R0 HKCU "${UNINST_KEY}" "PathEntry"
    ${IfNot} ${Errors}
    ${AndIf} $R0 != ""
        Call un.RemoveFromUserPath
    ${EndIf}

    # WebView2's data for this exe (Wails keeps it in %APPDATA%\<exe name>).
    RMDir /r "$APPDATA\${PRODUCT_EXECUTABLE}"

    # Only what the installer put there: the folder itself goes only if empty,
    # so a folder the user chose that holds other files is never wiped.
    Delete "$INSTDIR\${PRODUCT_EXECUTABLE}"
    Delete "$SMPROGRAMS\${INFO_PRODUCTNAME}.lnk"
    !insertmacro wails.deleteUninstaller
    RMDir $INSTDIR
SectionEnd
