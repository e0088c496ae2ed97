# The installer's opt-in "Add to PATH" and the uninstaller's undo of it.
#
# The user's own PATH is HKCU\Environment\Path, a REG_EXPAND_SZ that may hold
# %VARIABLES%: it is read raw (ReadRegStr does not expand), changed as a
# ';'-separated list and written back as REG_EXPAND_SZ; then WM_SETTINGCHANGE
# tells Explorer, so consoles opened afterwards see the change.
#
# Only the entry the installer added is removed, and only if the installer
# added it (it records the entry as PathEntry in the uninstall key).
#
# NSIS strings hold NSIS_MAX_STRLEN - 1 characters (1023 in the stock build)
# and ReadRegStr fails on a longer value: a PATH near that length or beyond is
# left alone rather than written back cut short; the details say what to do
# by hand.

!include "LogicLib.nsh"
!include "WinMessages.nsh"
!include "StrFunc.nsh"
${Using:StrFunc} StrStr
${Using:StrFunc} UnStrRep

!define USER_PATH_KEY "Environment"
# Longest PATH handled: ";PATH;" (two more characters) must still fit.
!define /math USER_PATH_MAX ${NSIS_MAX_STRLEN} - 3

!macro USER_PATH_BROADCAST
    # Explorer and other top-level windows reload the environment.
    SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
!macroend

# Out: $3 = 1 if HKCU\Environment has a value named Path (readable or not).
Function UserPathExists
    StrCpy $3 0
    StrCpy $4 0
    ${Do}
        ClearErrors
        EnumRegValue $5 HKCU "${USER_PATH_KEY}" $4
        ${If} ${Errors}
        ${OrIf} $5 == ""
            ${ExitDo}
        ${EndIf}
        ${If} $5 == "Path"
            StrCpy $3 1
            ${ExitDo}
        ${EndIf}
        IntOp $4 $4 + 1
    ${Loop}
FunctionEnd

# Adds $INSTDIR to the end of the user's PATH unless it is there already.
# Out: $0 = "added", "present" or "too-long".
Function AddToUserPath
    # $6 = 1: there is a PATH this installer cannot read whole; leave it alone.
    StrCpy $6 0
    ClearErrors
    ReadRegStr $1 HKCU "${USER_PATH_KEY}" "Path"
    ${If} ${Errors}
        # Absent, or too long to read (ReadRegStr then fails and gives "").
        Call UserPathExists
        StrCpy $6 $3
        StrCpy $1 ""
    ${EndIf}
    ${StrStr} $2 ";$1;" ";$INSTDIR;"
    ${If} $2 != ""
        DetailPrint "$INSTDIR is already on your PATH."
        StrCpy $0 "present"
        Return
    ${EndIf}
    # One trailing separator is dropped so the list does not gain an empty entry.
    StrCpy $2 $1 1 -1
    ${If} $2 == ";"
        StrCpy $1 $1 -1
    ${EndIf}
    ${If} $1 == ""
        StrCpy $2 "$INSTDIR"
    ${Else}
        StrCpy $2 "$1;$INSTDIR"
    ${EndIf}
    StrLen $3 $1
    StrLen $4 $2
    ${If} $6 == 1
    ${OrIf} $3 >= ${USER_PATH_MAX}
    ${OrIf} $4 >= ${USER_PATH_MAX}
        DetailPrint "Your PATH is too long for this installer to change safely; it was left as it is."
        DetailPrint "To use audience-uploader in a console, add $INSTDIR to your PATH in Settings > System > About > Advanced system settings > Environment Variables."
        StrCpy $0 "too-long"
        Return
    ${EndIf}
    WriteRegExpandStr HKCU "${USER_PATH_KEY}" "Path" "$2"
    !insertmacro USER_PATH_BROADCAST
    DetailPrint "Added $INSTDIR to your PATH (new consoles will see it)."
    StrCpy $0 "added"
FunctionEnd

# Removes the entry $R0 (exactly, wherever it is in the list) from the user's
# PATH; every other entry keeps its text and order.
Function un.RemoveFromUserPath
    ClearErrors
    ReadRegStr $1 HKCU "${USER_PATH_KEY}" "Path"
    ${If} ${Errors}
        Return
    ${EndIf}
    StrLen $3 $1
    ${If} $3 >= ${USER_PATH_MAX}
        DetailPrint "Your PATH is too long for this uninstaller to change safely: remove $R0 from it by hand."
        Return
    ${EndIf}
    ${UnStrRep} $2 ";$1;" ";$R0;" ";"
    # Drop the separators added around the list above.
    StrCpy $2 $2 "" 1
    StrCpy $2 $2 -1
    ${If} $2 == $1
        Return
    ${EndIf}
    ${If} $2 == ""
        DeleteRegValue HKCU "${USER_PATH_KEY}" "Path"
    ${Else}
        WriteRegExpandStr HKCU "${USER_PATH_KEY}" "Path" "$2"
    ${EndIf}
    !insertmacro USER_PATH_BROADCAST
    DetailPrint "Removed $R0 from your PATH."
FunctionEnd
