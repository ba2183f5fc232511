@echo off
rem perfxl on Windows: double-click (the batch on input\ into output\) or "perfxl.cmd mail" etc.
rem Finds Python 3.11+, then tools\bootstrap.py makes .venv, installs perfxl and runs it.
chcp 65001 >nul
cd /d "%~dp0"
set "PERFXL_PY="
py -3.11 -c "import sys" >nul 2>&1 && set "PERFXL_PY=py -3.11"
if not defined PERFXL_PY py -3 -c "import sys; sys.exit(sys.version_info < (3, 11))" >nul 2>&1 && set "PERFXL_PY=py -3"
if not defined PERFXL_PY python -c "import sys; sys.exit(sys.version_info < (3, 11))" >nul 2>&1 && set "PERFXL_PY=python"
if not defined PERFXL_PY (
    echo 未找到 Python 3.11 或更高版本。请从 https://www.python.org/downloads/ 下载安装，安装时勾选 "Add python.exe to PATH"。
    pause
    exit /b 2
)
%PERFXL_PY% tools\bootstrap.py %*
set "PERFXL_STATUS=%ERRORLEVEL%"
pause
exit /b %PERFXL_STATUS%
